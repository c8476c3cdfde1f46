"""`python -m providers.field_monitoring`: run the FMS on the bus named by EM_BUS_URL until stopped."""

import asyncio

from providers.field_monitoring.wiring import app

if __name__ == "__main__":
    asyncio.run(app.run())
