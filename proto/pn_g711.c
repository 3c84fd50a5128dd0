/*
 * pn_g711.c: G.711 A-law / mu-law (see pn_g711.h). The per-sample functions are the
 * segment-search algorithm of ITU-T G.711 (as G.191's reference code computes it); they cost a
 * few shifts per sample, so no tables are needed for the relay's rates.
 */
#include "pn_g711.h"

uint8_t pn_g711_alaw_encode(int16_t lin)
{
	/* 13-bit magnitude, one's complement for negatives (so -1 maps next to zero) */
	int ix = lin < 0 ? (~lin) >> 4 : lin >> 4;
	if (ix > 15) {
		int iexp = 1;
		while (ix > 16 + 15) {
			ix >>= 1;
			iexp++;
		}
		ix -= 16; /* drop the leading 1 of the mantissa */
		ix += iexp << 4;
	}
	if (lin >= 0)
		ix |= 0x80;
	return (uint8_t)(ix ^ 0x55); /* even-bit inversion */
}

int16_t pn_g711_alaw_decode(uint8_t code)
{
	int ix = code ^ 0x55;
	int iexp = (ix & 0x7f) >> 4;
	int mant = ix & 0x0f;
	if (iexp > 0)
		mant += 16;     /* the implied leading 1 */
	mant = (mant << 4) + 8; /* mid-point of the interval */
	if (iexp > 1)
		mant <<= iexp - 1;
	return (int16_t)(ix > 127 ? mant : -mant);
}

uint8_t pn_g711_ulaw_encode(int16_t lin)
{
	/* 14-bit magnitude plus the bias of 33 */
	int absno = lin < 0 ? ((~lin) >> 2) + 33 : (lin >> 2) + 33;
	if (absno > 0x1fff)
		absno = 0x1fff;
	int segno = 1;
	for (int i = absno >> 6; i != 0; i >>= 1)
		segno++;
	int high = 8 - segno;
	int low = 0x0f - ((absno >> segno) & 0x0f);
	int out = (high << 4) | low;
	if (lin >= 0)
		out |= 0x80;
	return (uint8_t)out;
}

int16_t pn_g711_ulaw_decode(uint8_t code)
{
	int sign = code < 0x80 ? -1 : 1;
	int m = ~code & 0xff;
	int exponent = (m >> 4) & 0x07;
	int segment = exponent + 1;
	int mantissa = m & 0x0f;
	int step = 4 << segment;
	return (int16_t)(sign * ((0x80 << exponent) + step * mantissa + step / 2 - 4 * 33));
}

uint8_t pn_g711_alaw_to_ulaw(uint8_t a)
{
	return pn_g711_ulaw_encode(pn_g711_alaw_decode(a));
}

uint8_t pn_g711_ulaw_to_alaw(uint8_t u)
{
	return pn_g711_alaw_encode(pn_g711_ulaw_decode(u));
}

void pn_g711_alaw_encode_buf(const int16_t *in, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = pn_g711_alaw_encode(in[i]);
}

void pn_g711_alaw_decode_buf(const uint8_t *in, int16_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = pn_g711_alaw_decode(in[i]);
}

void pn_g711_ulaw_encode_buf(const int16_t *in, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = pn_g711_ulaw_encode(in[i]);
}

void pn_g711_ulaw_decode_buf(const uint8_t *in, int16_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = pn_g711_ulaw_decode(in[i]);
}

void pn_g711_alaw_to_ulaw_buf(const uint8_t *in, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = pn_g711_alaw_to_ulaw(in[i]);
}

void pn_g711_ulaw_to_alaw_buf(const uint8_t *in, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = pn_g711_ulaw_to_alaw(in[i]);
}
