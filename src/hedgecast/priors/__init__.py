"""Priors: lenses (sourced sets of priors) and elicitation."""
