"""Data hygiene across the apps: merging duplicate leads, and undoing a merge.

A merge moves rows of every app and changes a lead's score, so it sits above
``triage``: it ends in the after-rescore step like any other score change.
"""
