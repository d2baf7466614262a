/*
 * netprobe.c — real traffic for the netns test of the three-layer check.
 *
 *   netprobe serve PORT...            listen on each TCP and UDP PORT of every
 *                                     address; answer "ok" to each connection
 *                                     and datagram; run until killed
 *   netprobe probe TIMEOUT_MS SRC,DST,tcp|udp/PORT...
 *                                     all at once: from address SRC, connect
 *                                     (TCP) or send (UDP) and await the answer;
 *                                     print "SRC,DST,PROTO/PORT open" when "ok"
 *                                     came back within TIMEOUT_MS, else
 *                                     "... blocked"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
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

struct pr {
	char text[96];
	int fd, udp, done, open;
};

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int start(struct pr *p)
{
	char buf[96], *src = buf, *dst, *proto, *port;
	snprintf(buf, sizeof buf, "%s", p->text);
	if (!(dst = strchr(src, ',')) || !(proto = strchr(dst + 1, ',')) ||
	    !(port = strchr(proto + 1, '/')))
		return -1;
	*dst++ = 0;
	*proto++ = 0;
	*port++ = 0;
	p->udp = !strcmp(proto, "udp");
	p->fd = bound(p->udp ? SOCK_DGRAM : SOCK_STREAM, src, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	if (p->fd < 0 || inet_pton(AF_INET, dst, &a.sin_addr) != 1)
		return -1;
	fcntl(p->fd, F_SETFL, O_NONBLOCK);
	if (p->udp)
		return sendto(p->fd, "hi", 2, 0, (struct sockaddr *)&a, sizeof a) == 2 ? 0 : -1;
	if (connect(p->fd, (struct sockaddr *)&a, sizeof a) && errno != EINPROGRESS)
		p->done = 1;
	return 0;
}

static int probe(int timeout_ms, int n, char **specs)
{
	struct pr *p = calloc((size_t)n, sizeof *p);
	struct pollfd *fds = calloc((size_t)n, sizeof *fds);
	if (!p || !fds)
		return 2;
	for (int i = 0; i < n; i++) {
		snprintf(p[i].text, sizeof p[i].text, "%s", specs[i]);
		if (start(&p[i])) {
			fprintf(stderr, "netprobe: bad probe %s\n", specs[i]);
			return 2;
		}
	}
	long end = now_ms() + timeout_ms;
	for (;;) {
		int waiting = 0;
		for (int i = 0; i < n; i++) {
			fds[i] = (struct pollfd){.fd = p[i].done ? -1 : p[i].fd, .events = POLLIN};
			waiting += !p[i].done;
		}
		long left = end - now_ms();
		if (!waiting || left <= 0)
			break;
		if (poll(fds, (nfds_t)n, (int)left) < 0)
			break;
		for (int i = 0; i < n; i++) {
			if (p[i].done || !fds[i].revents)
				continue;
			char buf[8] = {0};
			ssize_t got = recv(p[i].fd, buf, sizeof buf, 0);
			if (got < 0 && (errno == EAGAIN || errno == EINPROGRESS))
				continue;
			p[i].open = got == 2 && !memcmp(buf, "ok", 2);
			p[i].done = 1;
		}
	}
	for (int i = 0; i < n; i++) {
		printf("%s %s\n", p[i].text, p[i].open ? "open" : "blocked");
		close(p[i].fd);
	}
	free(p);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "serve"))
		return serve(argc - 2, argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "probe"))
		return probe(atoi(argv[2]), argc - 3, argv + 3);
	fputs("usage: netprobe serve PORT... | probe TIMEOUT_MS SRC,DST,tcp|udp/PORT...\n", stderr);
	return 2;
}
