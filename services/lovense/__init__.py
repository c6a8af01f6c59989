"""Lovense device control: command validation and bodies (pure), error codes, and the service.

Sources: the Lovense docs in ``shared/seeds/`` (000/001 Basic Socket API, 002 Standard API,
003 Cam Kit) and ``shared/LOVENSE.md``. Nothing in this package imports Flask.
"""
