"""The domain of Connect Energy: tariffs, suppliers, offers, savings, consumers and leads."""
