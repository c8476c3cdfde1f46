"""`python -m providers.monitoring_data`: run the MDSS on the bus named by EM_BUS_URL until stopped."""

import asyncio

from providers.monitoring_data.wiring import app

if __name__ == "__main__":
    asyncio.run(app.run())
