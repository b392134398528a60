"""An offline emulator of the providers' HTTP APIs, served on loopback (like moto for AWS).

It shares no code with the clients: they reach it through a base URL only.
"""

from extract_assets.emulator.app import create_app
from extract_assets.emulator.client import EmulatorControl, EmulatorControlError
from extract_assets.emulator.faults import FaultRule
from extract_assets.emulator.server import EmulatorServer, serve

__all__ = [
    "EmulatorControl",
    "EmulatorControlError",
    "EmulatorServer",
    "FaultRule",
    "create_app",
    "serve",
]
