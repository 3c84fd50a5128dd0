#!/usr/bin/env bash
# test_sipcheck.sh SIPCHECK SRCDIR: runs the built privnum-sipcheck on the SIP corpus and the
# torture inputs and asserts its exact JSON output, error offsets and exit codes.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$2
fail=0
expect() { # name, want-exit, want-stdout, files...
	local name=$1 want_rc=$2 want_out=$3
	shift 3
	local out rc
	out=$(cd "$src/tests/corpus" && "$bin" "$@" 2>/dev/null)
	rc=$?
	if [ "$rc" != "$want_rc" ]; then
		echo "FAIL $name: exit $rc, want $want_rc"; fail=1
	fi
	if [ "$out" != "$want_out" ]; then
		echo "FAIL $name: output differs"; echo " got:  $out"; echo " want: $want_out"; fail=1
	fi
	[ "$fail" = 0 ] && echo "ok $name"
}

expect invite 0 '{"file":"sip/invite_sdp.sip","ok":true,"type":"request","method":"INVITE","ruri":"sip:+8613900000001@198.18.0.1:5060;user=phone","from":"sip:+8613800000001@198.18.0.10;user=phone","from_tag":"1928301774","to":"sip:+8613900000001@198.18.0.1;user=phone","to_tag":null,"call_id":"a84b4c76e66710@198.18.0.10","cseq":{"seq":314159,"method":"INVITE"},"via_count":1,"top_branch":"z9hG4bK776asdhds","max_forwards":70,"headers":14,"body_length":240}' sip/invite_sdp.sip

expect response 0 '{"file":"sip/200_ok_bye.sip","ok":true,"type":"response","status":200,"reason":"OK","from":"sip:+8613800000001@198.18.0.10;user=phone","from_tag":"1928301774","to":"sip:+8613900000001@198.18.0.1;user=phone","to_tag":"a6c85cf","call_id":"a84b4c76e66710@198.18.0.10","cseq":{"seq":314161,"method":"BYE"},"via_count":1,"top_branch":"z9hG4bKnashds10","max_forwards":null,"headers":9,"body_length":0}' sip/200_ok_bye.sip

expect wsinv 0 '{"file":"sip/torture_wsinv.sip","ok":true,"type":"request","method":"INVITE","ruri":"sip:vivekg@chair-dnrc.example.com;unknownparam","from":"sip:jdrosen@example.com","from_tag":"98asjd8","to":"sip:vivekg@chair-dnrc.example.com","to_tag":"1918181833n","call_id":"wsinv.ndaksdj@192.0.2.1","cseq":{"seq":9,"method":"INVITE"},"via_count":3,"top_branch":"390skdjuw","max_forwards":68,"headers":14,"body_length":150}' sip/torture_wsinv.sip

expect utf8 0 '{"file":"sip-torture/utf8_display.sip","ok":true,"type":"request","method":"INVITE","ruri":"sip:b@example.com","from":"sip:a@example.com","from_tag":"f1","to":"sip:b@example.com","to_tag":null,"call_id":"t1@192.0.2.1","cseq":{"seq":1,"method":"INVITE"},"via_count":1,"top_branch":"z9hG4bKt1","max_forwards":70,"headers":7,"body_length":0}' sip-torture/utf8_display.sip

expect nul 1 '{"file":"sip-torture/nul_in_header.sip","ok":false,"error":"NUL byte in header section","code":8,"offset":194,"header":null}' sip-torture/nul_in_header.sip
expect missing_callid 1 '{"file":"sip-torture/missing_callid.sip","ok":false,"error":"missing mandatory header","code":14,"offset":34,"header":"Call-ID"}' sip-torture/missing_callid.sip
expect clen_too_big 1 '{"file":"sip-torture/clen_too_big.sip","ok":false,"error":"Content-Length larger than the body","code":12,"offset":200,"header":"Content-Length"}' sip-torture/clen_too_big.sip
expect cseq_mismatch 1 '{"file":"sip-torture/cseq_mismatch.sip","ok":false,"error":"CSeq method does not match the request method","code":17,"offset":184,"header":"CSeq"}' sip-torture/cseq_mismatch.sip
expect dup_callid 1 '{"file":"sip-torture/dup_callid.sip","ok":false,"error":"conflicting duplicate header","code":15,"offset":200,"header":"Call-ID"}' sip-torture/dup_callid.sip
expect badvers 1 '{"file":"sip-torture/badvers.sip","ok":false,"error":"unsupported SIP version","code":3,"offset":26,"header":null}' sip-torture/badvers.sip

# several files: exit 1 if any fails, one line per file, in order
out=$(cd "$src/tests/corpus" && "$bin" sip/ack.sip sip-torture/badvers.sip sip/bye.sip 2>/dev/null)
rc=$?
lines=$(printf '%s\n' "$out" | wc -l)
oks=$(printf '%s\n' "$out" | grep -c '"ok":true')
if [ "$rc" != 1 ] || [ "$lines" != 3 ] || [ "$oks" != 2 ]; then
	echo "FAIL multi: rc=$rc lines=$lines oks=$oks"; fail=1
else
	echo "ok multi"
fi
# every seed message of the corpus is accepted
if (cd "$src/tests/corpus" && "$bin" sip/*.sip >/dev/null 2>&1); then echo "ok corpus"; else echo "FAIL corpus"; fail=1; fi
# the human line on stderr names the offset
err=$(cd "$src/tests/corpus" && "$bin" sip-torture/nul_in_header.sip 2>&1 >/dev/null)
if [ "$err" != "sip-torture/nul_in_header.sip: byte 194: NUL byte in header section" ]; then
	echo "FAIL stderr: $err"; fail=1
else
	echo "ok stderr"
fi
# usage and missing file
"$bin" >/dev/null 2>&1; [ $? = 2 ] && echo "ok usage" || { echo "FAIL usage"; fail=1; }
"$bin" /nonexistent/x.sip >/dev/null 2>&1; [ $? = 2 ] && echo "ok missing" || { echo "FAIL missing"; fail=1; }
exit $fail
