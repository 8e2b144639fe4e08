"""The scenarios for unittest runners (python -m unittest dext_kashflow.tests).

pytest ignores load_tests: it runs the same files through --doctest-glob.
"""
from trytond.tests.test_tryton import load_doc_tests


def load_tests(*args, **kwargs):
    return load_doc_tests(__name__, __file__, *args, **kwargs)
