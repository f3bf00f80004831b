"""Counts in words that fit them, for what the service says to people."""


def counted(number, one, many=None):
    """`number` and the word that fits it: "1 report", "2 reports", "1,200 reports"
    (`many` for a plural that is not `one` and an s)."""
    return f"{number:,} {one if number == 1 else many or one + 's'}"
