/*
 * netprobe.c — real traffic for the netns test of the three-layer check.
 *
 *   netprobe serve PORT...            listen on each TCP and UDP PORT of every
 *                                     address; answer "ok" to each connection
 *                                     and datagram; run until killed
 *   netprobe probe SRC DST tcp|udp PORT TIMEOUT_MS
 *                                     from address SRC, connect (TCP) or send
 *                                     and await the answer (UDP); print "open"
 *                                     when "ok" came back, else "blocked"
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PORTS 64

static int bound(int type, const char *addr, int port)
{
	int s = socket(AF_INET, type, 0), one = 1;
	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1 ||
	    bind(s, (struct sockaddr *)&a, sizeof a)) {
		close(s);
		return -1;
	}
	return s;
}

static int serve(int argc, char **argv)
{
	struct pollfd fds[2 * MAX_PORTS];
	int types[2 * MAX_PORTS];
	int n = 0;
	for (int i = 0; i < argc && i < MAX_PORTS; i++) {
		int port = atoi(argv[i]);
		int t = bound(SOCK_STREAM, "0.0.0.0", port), u = bound(SOCK_DGRAM, "0.0.0.0", port);
		if (t < 0 || u < 0 || listen(t, 64)) {
			perror("netprobe serve");
			return 1;
		}
		fds[n] = (struct pollfd){.fd = t, .events = POLLIN};
		types[n++] = SOCK_STREAM;
		fds[n] = (struct pollfd){.fd = u, .events = POLLIN};
		types[n++] = SOCK_DGRAM;
	}
	for (;;) {
		if (poll(fds, (nfds_t)n, -1) < 0)
			return 1;
		for (int i = 0; i < n; i++) {
			if (!(fds[i].revents & POLLIN))
				continue;
			if (types[i] == SOCK_STREAM) {
				int c = accept(fds[i].fd, NULL, NULL);
				if (c >= 0) {
					(void)!write(c, "ok", 2);
					close(c);
				}
			} else {
				char buf[64];
				struct sockaddr_in from;
				socklen_t fl = sizeof from;
				ssize_t got = recvfrom(fds[i].fd, buf, sizeof buf, 0,
						       (struct sockaddr *)&from, &fl);
				if (got >= 0)
					sendto(fds[i].fd, "ok", 2, 0, (struct sockaddr *)&from, fl);
			}
		}
	}
}

static int probe(const char *src, const char *dst, const char *proto, int port, int timeout_ms)
{
	int udp = !strcmp(proto, "udp");
	int s = bound(udp ? SOCK_DGRAM : SOCK_STREAM, src, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (s < 0 || inet_pton(AF_INET, dst, &a.sin_addr) != 1) {
		perror("netprobe probe");
		return 2;
	}
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	char buf[8] = {0};
	int open = 0;
	if (udp) {
		if (sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof a) == 2)
			open = recv(s, buf, sizeof buf, 0) == 2 && !memcmp(buf, "ok", 2);
	} else if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
		open = recv(s, buf, sizeof buf, 0) == 2 && !memcmp(buf, "ok", 2);
	}
	close(s);
	puts(open ? "open" : "blocked");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "serve"))
		return serve(argc - 2, argv + 2);
	if (argc == 7 && !strcmp(argv[1], "probe"))
		return probe(argv[2], argv[3], argv[4], atoi(argv[5]), atoi(argv[6]));
	fputs("usage: netprobe serve PORT... | probe SRC DST tcp|udp PORT TIMEOUT_MS\n", stderr);
	return 2;
}
