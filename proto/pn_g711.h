/*
 * pn_g711.h: ITU-T G.711 A-law and mu-law companding of 16-bit linear PCM, and A-law <->
 * mu-law transcoding (for the relay when the two legs agreed on different codecs, for
 * announcements and for in-band DTMF detection).
 *
 * The conversions are the bit-exact G.711 algorithm as in the ITU-T G.191 reference
 * implementation: the encoder takes the 13 (A-law) or 14 (mu-law) most significant bits of
 * the 16-bit sample, the decoder returns the segment's mid-point scaled to 16 bits.
 * Known values: A-law codes 0xD5/0x55 are +8/-8 (nearest zero), mu-law 0xFF/0x7F are +0/-0,
 * A-law 0xAA/0x2A are +/-32256, mu-law 0x80/0x00 are +/-32124.
 *
 * Transcoding goes through linear (decode, then encode): every code maps to the nearest code
 * of the other law; this differs from the G.711 Table 3/4 direct mapping in a few codes near
 * the segment ends, by one quantisation step at most.
 *
 * No state, no allocation; safe from any thread.
 */
#ifndef PN_G711_H
#define PN_G711_H

#include <stddef.h>
#include <stdint.h>

uint8_t pn_g711_alaw_encode(int16_t lin);
int16_t pn_g711_alaw_decode(uint8_t code);
uint8_t pn_g711_ulaw_encode(int16_t lin);
int16_t pn_g711_ulaw_decode(uint8_t code);
uint8_t pn_g711_alaw_to_ulaw(uint8_t a);
uint8_t pn_g711_ulaw_to_alaw(uint8_t u);

/* Buffer forms: n samples; in and out may be the same buffer for the transcoders. */
void pn_g711_alaw_encode_buf(const int16_t *in, uint8_t *out, size_t n);
void pn_g711_alaw_decode_buf(const uint8_t *in, int16_t *out, size_t n);
void pn_g711_ulaw_encode_buf(const int16_t *in, uint8_t *out, size_t n);
void pn_g711_ulaw_decode_buf(const uint8_t *in, int16_t *out, size_t n);
void pn_g711_alaw_to_ulaw_buf(const uint8_t *in, uint8_t *out, size_t n);
void pn_g711_ulaw_to_alaw_buf(const uint8_t *in, uint8_t *out, size_t n);

#endif /* PN_G711_H */
