"""What stands in for the network on one machine: the embedded Kafka-protocol broker, replay of
captures, the simulator and its scenarios, and `naap run` (the live service and `--once`)."""
