"""Stress testing: prior edits by reweighting, sensitivity, what-would-you-have-to-believe, pooling."""
