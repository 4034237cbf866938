"""moto_server with one bug of moto 5.2.1 fixed, so tests see what AWS does.

Usage: python3 scripts/moto_server.py -H 127.0.0.1 -p PORT  (moto_server's arguments)

The bug: moto's Lake Formation keeps permissions in a set of Permission
objects hashed over their JSON, and a grant on a principal-resource pair it
already holds merges the new permissions into the stored object in place
(`list(set(...))`, whose order follows Python's per-process string hashing).
When the order changes, the object sits in the set under a stale hash, and
the next revoke on that pair raises KeyError: HTTP 500 from
BatchRevokePermissions, in some moto processes and not others.

AWS grants are idempotent and a repeated grant is normal (Steward extends a
share when a new version adds a table, re-granting the tables it holds:
https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_BatchGrantPermissions.html).
The fix below takes the object out of the set before merging and puts it
back after, so its hash is current. Nothing else changes.
"""

import sys

from moto.lakeformation import models as lakeformation
from moto.server import main


def add_permission(self, permission):
    for existing in list(self.permissions):
        if permission.equal_principal_and_resouce(existing):
            self.permissions.remove(existing)
            existing.merge(permission)
            self.permissions.add(existing)
            return
    self.permissions.add(permission)


lakeformation.PermissionCatalog.add_permission = add_permission

if __name__ == "__main__":
    main(sys.argv[1:])
