"""Lab checks: one module per lab (labNN_<topic>.py), built on kmslab.teach.checks."""
