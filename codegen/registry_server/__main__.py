"""`python -m codegen.registry_server [--host H] [--port P] [--data FILE]`: same as `avrobind registry serve`."""

from codegen.cli import registry_serve

registry_serve(prog_name="python -m codegen.registry_server")
