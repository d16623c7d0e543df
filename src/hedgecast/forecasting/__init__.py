"""Forecasts: scenarios, simulated futures, trajectory classes."""
