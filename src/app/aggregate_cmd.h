/* `turnstile aggregate`: site totals across hosts from every node's MQTT
 * events (docs/mqtt.md). */
#ifndef TURNSTILE_AGGREGATE_CMD_H
#define TURNSTILE_AGGREGATE_CMD_H

/* argv[0] is "aggregate". Returns the exit status. */
int aggregate_main(int argc, char **argv);

#endif
