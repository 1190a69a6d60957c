"""The framework's floor: one DRF view returning a constant, nothing else in the way.

No middleware, no authentication, no permission classes, no database: what Django and DRF
cost per request under the same granian flags as the users service.
"""
