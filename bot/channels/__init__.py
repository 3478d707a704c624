"""Channel adapters: turn platform payloads into Inbound and replies into platform calls."""
