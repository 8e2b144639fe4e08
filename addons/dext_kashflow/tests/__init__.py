"""The module's tests run on a server configured as a real one must be: with a
key to encrypt the KashFlow secrets (a test may remove it to see what happens
without one)."""
import trytond.config as config

from ..encryption import OPTION, SECTION, new_key


def encryption_key_for_tests():
    "Configure a key for this process, unless one is configured"
    if not config.get(SECTION, OPTION):
        if not config._config.has_section(SECTION):
            config._config.add_section(SECTION)
        config.set(SECTION, OPTION, new_key())


encryption_key_for_tests()
