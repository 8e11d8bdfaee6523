"""kmslab: learn AWS KMS and encryption offline, against a sandbox that behaves like AWS.

Layers (see docs/design.md):
- kmslab.sandbox  how a lesson or test gets a ready AWS (in-process, local endpoint, real by choice)
- kmslab.service  what AWS does and moto lacks, added inside moto's mocked services
- kmslab.teach    helpers for lessons and labs only
"""
__version__ = "0.1.0"
