"""The runtime that generated packages run on.

Every module here uses relative imports only: `avrobind generate` copies this directory
verbatim into `<package>/_runtime/`, so a generated package needs avrobind only at build time.
"""
