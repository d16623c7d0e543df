"""The seminar room: participants' answers about a lens's assumptions, turned live into the headline questions' forecast.

:class:`~hedgecast.seminar.engine.Room` is the engine (the web server of ``hedgecast seminar`` and
notebook 05 drive it); :mod:`hedgecast.seminar.results` saves a seminar (``SeminarResults``),
exports its submissions as CSV and each participant's answers as a lens file.
"""

from hedgecast.seminar.answers import Answer, SeminarInputError
from hedgecast.seminar.engine import Assumption, ParticipantForecast, Room

__all__ = ["Answer", "Assumption", "ParticipantForecast", "Room", "SeminarInputError"]
