"""Publishing to KashFlow, in plain code (no pool classes).

prepare.py turns an invoice into the KashFlow document to send; run.py sends
it, step by step and exactly once; outcomes.py says what a KashFlow error
means for the user; sides.py holds what differs between purchases and sales.
"""
