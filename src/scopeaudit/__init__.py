"""scopeaudit: compare a managed-IT contract's declared perimeter with what is on the network."""

__version__ = "0.1.0"
