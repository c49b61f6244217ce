/* lib/audit_net.c: the transports of the audit sinks, all time-bounded. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sbx/audit.h>
#include <sbx/buf.h>
#include <sbx/err.h>

#include "audit_int.h"

int
sbx_audit__send_unix(const char *path, const void *data, size_t len,
    struct sbx_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return sbx_err_set(err, SBX_ECONFIG, "%s: socket path too long",
		    path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return sbx_err_set(err, SBX_EIO, "socket: %s", strerror(errno));
	/* Never wait on a full journald queue: the spool waits instead. */
	n = sendto(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (n != (ssize_t)len)
		return sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    n == -1 ? strerror(errno) : "short send");
	return SBX_OK;
}

/*
 * Resolve host within the deadline. getaddrinfo() could block for as
 * long as the resolver likes, so a name goes through getaddrinfo_a():
 * a request still running at the deadline cannot be freed (the
 * resolver's thread writes to it), so it is left to that thread.
 */
static int
resolve(struct addrinfo **out, const char *host, const char *port,
    bool tcp, int64_t deadline)
{
	struct addrinfo hints = { 0 };
	struct gaicb *req, *list[1];
	struct timespec ts;
	int64_t left;
	int rc;

	*out = NULL;
	hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, out) == 0)
		return 0;
	/* One block: the hints, the names and the request, freed as one. */
	req = calloc(1, sizeof(*req) + sizeof(hints) + strlen(host) +
	    strlen(port) + 2);
	if (req == NULL)
		return EAI_MEMORY;
	hints.ai_flags = AI_NUMERICSERV;
	memcpy(req + 1, &hints, sizeof(hints));
	req->ar_request = (struct addrinfo *)(req + 1);
	req->ar_name = (char *)(req->ar_request + 1);
	memcpy((char *)req->ar_name, host, strlen(host) + 1);
	req->ar_service = req->ar_name + strlen(host) + 1;
	memcpy((char *)req->ar_service, port, strlen(port) + 1);
	list[0] = req;
	if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
		free(req);
		return rc;
	}
	do {
		left = deadline - sbx_audit__now_ms();
		ts.tv_sec = left > 0 ? left / 1000 : 0;
		ts.tv_nsec = left > 0 ? left % 1000 * 1000000 : 0;
		rc = gai_suspend((const struct gaicb *const *)list, 1, &ts);
	} while (rc == EAI_INTR);
	if ((rc = gai_error(req)) == EAI_INPROGRESS &&
	    gai_cancel(req) != EAI_CANCELED)
		return EAI_AGAIN;	/* still the resolver's: not freed */
	*out = req->ar_result;
	free(req);
	return *out != NULL ? 0 : rc != 0 ? rc : EAI_NONAME;
}

static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int n;

	do {
		left = deadline - sbx_audit__now_ms();
		if (left <= 0)
			return -1;
		n = poll(&p, 1, (int)left);
	} while (n == -1 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

/* Connect within the deadline; the socket is non-blocking. */
static int
tcp_connect(int fd, const struct addrinfo *ai, int64_t deadline)
{
	socklen_t len = sizeof(int);
	int e = 0;

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	if (wait_fd(fd, POLLOUT, deadline) == -1) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		return -1;
	errno = e;
	return e == 0 ? 0 : -1;
}

static int
tcp_send(int fd, const char *p, size_t len, int64_t deadline)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) == -1) {
				errno = ETIMEDOUT;
				return -1;
			}
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
sbx_audit__send_syslog(const char *host, int port, bool tcp, const void *msg,
    size_t len, unsigned timeout_ms, struct sbx_err *err)
{
	struct addrinfo *ai = NULL;
	struct sbx_buf framed = { 0 };
	int64_t deadline = sbx_audit__now_ms() + timeout_ms;
	char service[16];
	int fd = -1, rc = SBX_EINTERNAL, e;

	snprintf(service, sizeof(service), "%d", port);
	if ((e = resolve(&ai, host, service, tcp, deadline)) != 0) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", host,
		    gai_strerror(e));
		goto done;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd == -1) {
		rc = sbx_err_set(err, SBX_EIO, "socket: %s", strerror(errno));
		goto done;
	}
	if (!tcp) {
		if (sendto(fd, msg, len, MSG_NOSIGNAL, ai->ai_addr,
		    ai->ai_addrlen) != (ssize_t)len) {
			rc = sbx_err_set(err, SBX_EIO, "udp %s:%d: %s", host,
			    port, strerror(errno));
			goto done;
		}
		rc = SBX_OK;
		goto done;
	}
	/* Octet counting (RFC 6587): "LENGTH SP MESSAGE". */
	if ((rc = sbx_buf_printf(&framed, err, "%zu ", len)) != SBX_OK ||
	    (rc = sbx_buf_add(&framed, msg, len, err)) != SBX_OK)
		goto done;
	if (tcp_connect(fd, ai, deadline) == -1 ||
	    tcp_send(fd, (char *)framed.p, framed.len, deadline) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "tcp %s:%d: %s", host, port,
		    strerror(errno));
		goto done;
	}
	rc = SBX_OK;
done:
	if (fd != -1)
		close(fd);
	if (ai != NULL)
		freeaddrinfo(ai);
	sbx_buf_free(&framed);
	return rc;
}
