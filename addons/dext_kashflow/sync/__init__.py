"""The refresh of KashFlow's lists, in one direction.

The connection (kashflow.connection's sync_lists, run by the queue) calls
known(), fetch(), apply(), kept() and summary(); this package reads KashFlow
(from_kashflow.py) and writes the list models of models/lists.py (refresh.py,
rows.py, parties.py), which know nothing of it.
"""
from .refresh import Stats, apply, fetch, kept, known, summary

__all__ = ['Stats', 'apply', 'fetch', 'kept', 'known', 'summary']
