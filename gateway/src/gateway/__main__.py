"""`python -m gateway`: serve the GraphQL API with uvicorn."""

from __future__ import annotations

import uvicorn

from gateway.app import create_app
from gateway.options import GatewayOptions
from invariant_core import logs
from invariant_core.settings import Settings


def main() -> None:
    settings = Settings.from_env("gateway")
    logs.configure("gateway", settings.log_level)
    options = GatewayOptions.from_env(settings)
    app = create_app(settings, options)
    # log_config=None keeps the suite's JSON log lines instead of uvicorn's own format.
    uvicorn.run(app, host=options.host, port=options.port, log_config=None, proxy_headers=True)


if __name__ == "__main__":
    main()
