"""Role-based access control: permissions in a compact syntax, roles, users and groups.

Every function speaks to Weaviate's ``/v1/authz`` and ``/v1/users`` endpoints and returns
data; the meta-commands in ``commands/meta/rbac*.py`` turn it into results.
"""
