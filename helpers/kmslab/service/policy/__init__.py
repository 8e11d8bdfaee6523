"""IAM-style policy language as KMS evaluates it: parse, match, conditions, evaluate.

A small evaluator written for the sandbox (policyuniverse only parses and
expands actions; principalmapper's simulator knows nothing of key policies,
grants or KMS's delegation to IAM). Nothing here knows about moto: the
authorization stage feeds it documents and a request context.
"""
from .document import MalformedPolicy, parse, statements
from .evaluate import Request, StatementMatch, evaluate

__all__ = ["MalformedPolicy", "parse", "statements", "Request", "StatementMatch", "evaluate"]
