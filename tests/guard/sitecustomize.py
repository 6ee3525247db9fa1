# Loaded by every Python child process of the tests (PYTHONPATH): no network but loopback.
import netguard

netguard.install()
