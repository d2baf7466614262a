/*
 * bench_auth.c — what a sign-in costs, as `name: value unit`.
 *
 *   bench_auth ROOT [MAMORI]
 *
 * auth.password_hash_ms    mmr_auth_password_hash (Argon2id, libsodium
 *                          INTERACTIVE: t=2, 64 MiB), mean of 10
 * auth.password_verify_ms  mmr_auth_password_verify of a right password,
 *                          mean of 10, and its ratio to the ~100 ms sign-in
 *                          budget
 * auth.totp_verify_us      mmr_auth_totp_verify with window 1 (a code of the
 *                          last step: the worst case), mean of 10,000
 */
#include <stdio.h>
#include <time.h>

#include "auth/auth.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	char h[MMR_PWHASH_MAX], sec[33];
	mmr_error err = {0};
	const char *pw = "Toyohashi-2026!市役所";
	double t0 = now();
	for (int i = 0; i < 10; i++)
		if (mmr_auth_password_hash(pw, h, &err) != MMR_OK) {
			fprintf(stderr, "bench_auth: %s\n", err.message);
			return 1;
		}
	double hash_ms = (now() - t0) / 10 * 1000;
	t0 = now();
	for (int i = 0; i < 10; i++)
		if (mmr_auth_password_verify(h, pw) != MMR_OK)
			return 1;
	double verify_ms = (now() - t0) / 10 * 1000;
	printf("auth.password_hash_ms: %.1f ms\n", hash_ms);
	printf("auth.password_verify_ms: %.1f ms\n", verify_ms);
	printf("auth.password_verify_vs_budget: %.2f x (budget 100 ms)\n", verify_ms / 100.0);

	if (mmr_auth_totp_secret_new(sec, &err) != MMR_OK)
		return 1;
	int denied = 0;
	t0 = now();
	for (int i = 0; i < 10000; i++)
		denied +=
			mmr_auth_totp_verify(sec, "000000", 1795000000 + i, 1, -1, NULL) != MMR_OK;
	double totp_us = (now() - t0) / 10000 * 1e6;
	printf("auth.totp_verify_us: %.1f us (code 000000 at 10000 times: %d denied)\n", totp_us,
	       denied);
	return 0;
}
