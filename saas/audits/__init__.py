"""Audit-based company certification (issue 14; seeds 000 and 004): the 11 steps, their clocks, sanctions."""
