/*
 * sdp_rewrite.c: cost of the SDP work a B2BUA does per offer/answer: pn_sdp_parse() of a
 * typical INVITE body (audio PCMA/PCMU/telephone-event with a=rtcp and ptime, plus video)
 * followed by pn_sdp_rewrite() to the relay's address and ports.
 *
 * Prints operations/s on one core and ns/op (median of 5 runs), parse alone and
 * parse+rewrite, and the comparison: the share of the 150 us of CPU per call that Kamailio
 * 5.6 spends on a whole call here (DESIGN.md). Usage: sdp_rewrite [iterations per run]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pn_sdp.h"

static const char body[] = "v=0\r\n"
                           "o=- 3912483345 3912483345 IN IP4 203.0.113.10\r\n"
                           "s=SIP Call\r\n"
                           "c=IN IP4 203.0.113.10\r\n"
                           "t=0 0\r\n"
                           "m=audio 49170 RTP/AVP 8 0 101\r\n"
                           "a=rtpmap:8 PCMA/8000\r\n"
                           "a=rtpmap:0 PCMU/8000\r\n"
                           "a=rtpmap:101 telephone-event/8000\r\n"
                           "a=fmtp:101 0-15\r\n"
                           "a=ptime:20\r\n"
                           "a=maxptime:40\r\n"
                           "a=rtcp:49171 IN IP4 203.0.113.10\r\n"
                           "a=sendrecv\r\n"
                           "m=video 49172 RTP/AVP 96\r\n"
                           "b=AS:384\r\n"
                           "a=rtpmap:96 H264/90000\r\n"
                           "a=fmtp:96 profile-level-id=42801f;packetization-mode=1\r\n"
                           "a=sendrecv\r\n";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static volatile size_t sink;

static double run(long iters, int rewrite)
{
	struct pn_sdp sdp;
	struct pn_sdp_rewrite rw = {"198.18.0.1", 4, {30000, 30002}, PN_SDP_DIR_NONE};
	char out[1024];
	size_t acc = 0;
	double t0 = now_s();
	for (long i = 0; i < iters; i++) {
		if (pn_sdp_parse(body, sizeof(body) - 1, &sdp) < 0) {
			fprintf(stderr, "parse failed\n");
			exit(1);
		}
		acc += sdp.media[0].port;
		if (rewrite) {
			rw.port[0] = (uint16_t)(30000 + (i & 1023) * 2);
			int n = pn_sdp_rewrite(&sdp, &rw, out, sizeof(out));
			if (n < 0) {
				fprintf(stderr, "rewrite failed\n");
				exit(1);
			}
			acc += (size_t)n + (unsigned char)out[n / 2];
		}
	}
	double dt = now_s() - t0;
	sink = acc;
	return dt * 1e9 / (double)iters;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 1000000;
	if (iters <= 0)
		iters = 1000000;
	double p[5], pr[5];
	run(iters / 10, 1); /* warm-up */
	for (int r = 0; r < 5; r++) {
		p[r] = run(iters, 0);
		pr[r] = run(iters, 1);
	}
	qsort(p, 5, sizeof(double), cmp_d);
	qsort(pr, 5, sizeof(double), cmp_d);
	char out[1024];
	struct pn_sdp sdp;
	pn_sdp_parse(body, sizeof(body) - 1, &sdp);
	struct pn_sdp_rewrite rw = {"198.18.0.1", 4, {30000, 30002}, PN_SDP_DIR_NONE};
	int outlen = pn_sdp_rewrite(&sdp, &rw, out, sizeof(out));
	printf("sdp_rewrite: body %zu bytes, 2 m-lines, %ld iterations x 5 runs (median)\n",
	       sizeof(body) - 1, iters);
	printf("  parse:           %8.1f ns/op  %10.0f ops/s per core\n", p[2], 1e9 / p[2]);
	printf("  parse + rewrite: %8.1f ns/op  %10.0f ops/s per core  (output %d bytes)\n", pr[2],
	       1e9 / pr[2], outlen);
	/* a call has two SDP bodies (offer and answer), each parsed and rewritten once */
	printf("  per call (offer + answer): %.2f us = %.2f%% of Kamailio's ~150 us CPU per call\n",
	       2 * pr[2] / 1000.0, 100.0 * 2 * pr[2] / 150000.0);
	return 0;
}
