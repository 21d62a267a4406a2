"""Class verdicts, certification decisions and certificates."""
