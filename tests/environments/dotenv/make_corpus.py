"""Writes ``corpus.json``: .env inputs for the differential test against @next/env (our own cases).

Run ``python tests/environments/dotenv/make_corpus.py`` after changing the lists below; the JSON file is
committed so that the corpus is data, not code. Each case has a name, the text, and ``refuse``: whether
the console must refuse it (dotenv would skip or misread garbage there) rather than agree with Next.js.
The values are invented; the "secrets" are random strings shaped like real ones.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent

BCRYPT = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
BCRYPT_Y = "$2y$12$QjSH496pcT5CEbzjD/vtVeH03tfHKFy36d4J0Ltp3lRtee9HDxY3K"
PEM_LINES = ["-----BEGIN PRIVATE KEY-----",
             "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
             "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
             "NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ",
             "-----END PRIVATE KEY-----"]
PEM = "\n".join(PEM_LINES)
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwicm9sZSI6ImFub24ifQ."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")

# Values tried under every quoting style.
VALUES = [
    "plain", "two words", "  padded  ", "", "a=b=c", "x#y", "x #y", "#start", "https://example.com/app#section",
    "postgresql://app:p%40ss@db.example.com:5432/app?sslmode=require", "rediss://default:s3cr%23t@cache:6379",
    "pa$$word", "pa\\$\\$word", "\\$2b\\$10\\$abc", BCRYPT, BCRYPT_Y, "$HOME/bin", "${HOME}", "cost: $5",
    "tab\there", "C:\\Users\\me\\", "say \"hi\"", "it's", "back`tick", "a\\nb", "a\\rb", "a\\tb", "a\\\\nb",
    "ünïcödé ✓", "emoji 🏠🔑", "日本語", "trailing\\", "\\", "$", "$$", "${", "${}", "$ {A}", "a$", "100%",
    "{json: true}", "[1,2]", "a;b|c&d", "sk_live_51H8x9f2eZvKYlo2C0aB3", "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    JWT, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "dGVzdA==", "a b # c",
]


def quoted(value: str, style: str) -> str | None:
    if style == "bare":
        return value
    quote = {"single": "'", "double": '"', "back": "`"}[style]
    if quote in value:
        return None
    return f"{quote}{value}{quote}"


def cases() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []

    def add(name: str, text: str, refuse: bool = False) -> None:
        out.append({"name": name, "text": text, "refuse": refuse})

    # Every value in every quoting style, alone and followed by a comment and another variable.
    for i, value in enumerate(VALUES):
        for style in ("bare", "single", "double", "back"):
            written = quoted(value, style)
            if written is None:
                continue
            stripped = written.strip()
            refuse = style == "bare" and (stripped[:1] in "'\"`" and stripped != "")
            add(f"value {i} {style}", f"V={written}\nNEXT=after\n", refuse)
            if style != "bare":
                add(f"value {i} {style} + comment", f"V={written} # note\n", False)

    # Quoting and comments.
    for name, text, refuse in [
        ("text after closing quote", "A='x' y\n", True),
        ("text after closing double quote", 'A="x" y\nB=2\n', True),
        ("quote then hash", "A='x'#c\n", False),
        ("unclosed single", "A='open\nB=2\n", True),
        ("unclosed double", 'A="open\nB=2\n', True),
        ("single closed on a later line with text after", "A='abc\nB='x'\n", True),
        ("single closed on a later line", "A='abc\nB='\nC=3\n", False),
        ("multiline double", 'A="line 1\nline 2\n  line 3"\nB=2\n', False),
        ("multiline single", "A='one\ntwo'\n", False),
        ("multiline back", "A=`one\ntwo`\n", False),
        ("escaped quote in single", "A='it\\'s'\n", False),
        ("escaped quote in double", 'A="a\\"b"\n', False),
        ("escaped back in back", "A=`a\\`b`\n", False),
        ("empty quotes", "A=''\nB=\"\"\nC=``\n", False),
        ("spaces around", "  A  =  value with spaces   \n", False),
        ("space before quote", "A=   'quoted'   \n", False),
        ("comment lines", "# header\n\n#A=1\n  # indented\nB=2 # c\n", False),
        ("value is only comment", "A= # only\nB=#x\nC=\n", False),
        ("hash without space", "A=a#b#c\nB=a #b\n", False),
        ("hash in quotes", "A='a # b'\nB=\"c # d\"\n", False),
        ("export prefix", "export A=1\nexport  B='2'\n", False),
        ("export alone", "A=1\nexport A\n", False),
        ("export name is key", "export=1\nexporter=2\n", False),
        ("colon syntax", "A: value\nB:  two\n", False),
        ("dots and dashes in names", "my.key=1\nmy-key=2\n_x=3\n", False),
        ("digit keys", "5=five\n10=ten\n1=one\nA=$1$5$10\n", False),
        ("digit-first name", "9A=1\n", False),
        ("proto key", "__proto__=x\nA=1\n", True),
        ("constructor reference", "A=$constructor\nB=${toString}\nC=$hasOwnProperty\n", True),
        ("constructor key", "constructor=mine\nA=$constructor\n", True),
        ("line without equals", "A=1\nghp_notAVariable\n", True),
        ("only a token", "sk_live_abc123\n", True),
        ("equals first", "A=1\n=value\n", True),
        ("name with space", "MY KEY=1\n", True),
        ("name with dollar", "$A=1\n", True),
        ("non-ascii name", "CLÉ=1\n", True),
        ("non-ascii first", "ÉTÉ=1\n", True),
        ("nul byte", "A=1\x00\n", True),
        ("name then equals on next line", "A\n=1\n", True),
        ("empty then quoted on next line", "A=\n'quoted'\n", True),
        ("bom at start", "\ufeffA=1\nB=2\n", False),
        ("bom on a later line", "A=1\n\ufeffB=2\n", True),
        ("crlf", "A=1\r\nB=\"x\r\ny\"\r\nC='q'\r\n", False),
        ("lone cr", "A=1\rB=2\r", False),
        ("crlf comment", "A=1 # c\r\n# x\r\nB=2\r\n", False),
        ("nbsp around", "A=\u00a0x\u00a0\n", False),
        ("line separator", "A=1\u2028B=2\n", False),
        ("tabs", "\tA\t=\tx\t\n", False),
        ("blank lines at end", "A=1\n\n\n   \n", False),
        ("no newline at end", "A=1", False),
        ("empty file", "", False),
        ("only comments", "# a\n# b", False),
        ("duplicate", "A=1\nB=2\nA=3\n", False),
        ("duplicate referenced", "A=1\nB=$A\nA=2\n", False),
        ("pem double escaped", 'KEY="' + PEM.replace("\n", "\\n") + '"\n', False),
        ("pem double multiline", 'KEY="' + PEM + '"\n', False),
        ("pem single multiline", "KEY='" + PEM + "'\n", False),
        ("pem single escaped", "KEY='" + PEM.replace("\n", "\\n") + "'\n", False),
        ("pem bare escaped", "KEY=" + PEM.replace("\n", "\\n") + "\n", False),
        ("bcrypt escaped bare", "HASH=" + BCRYPT.replace("$", "\\$") + "\n", False),
        ("bcrypt escaped single", "HASH='" + BCRYPT.replace("$", "\\$") + "'\n", False),
        ("bcrypt escaped double", 'HASH="' + BCRYPT.replace("$", "\\$") + '"\n', False),
        ("json value", 'J={"a": 1, "b": [1, 2]}\nK=\'{"a": "$x"}\'\n', False),
        ("url with fragment and query", "NEXTAUTH_URL=https://example.com/app?x=1#section\n", False),
        ("database url with hash", "DATABASE_URL=postgresql://u:pa#ss@h:5432/d\n", False),
    ]:
        add(name, text, refuse)

    # Expansion.
    for name, text, refuse in [
        ("simple", "A=1\nB=$A\nC=${A}\nD=x${A}y\n", False),
        ("forward", "B=${A}\nA=1\n", False),
        ("forward chain", "C=$B\nB=$A\nA=1\n", False),
        ("unset", "A=$NOPE\nB=${NOPE}\nC=pre${NOPE}post\n", False),
        ("default unset", "A=${NOPE:-fallback}\n", False),
        ("default set ignored", "A=x\nB=${A:-d}\n", False),
        ("default empty var", "A=\nB=${A:-d}\n", False),
        ("dash default", "A=${X-d}\nX=1\n", False),
        ("dash default unset", "B=${NOPE-d}\n", False),
        ("nested default", "B=${NOPE:-${NOPE2:-deep}}\n", False),
        ("nested default set", "N=inner\nB=${NOPE:-${N}}\n", False),
        ("one two", "ONE=1\nTWO=2\nT=$ONE$TWO\n", False),
        ("one two braced", "ONE=1\nTWO=2\nT=${ONE}${TWO}\n", False),
        ("one two spaced", "ONE=1\nTWO=2\nT=$ONE $TWO\n", False),
        ("dollar digit", "A=$5\nB=cost $5 each\n5=five\n", False),
        ("dollar digit unset", "A=price $9.99\n", False),
        ("escaped reference", "A=1\nB=\\$A\nC='\\$A'\nD=\"\\$A\"\n", False),
        ("escaped and not", "A=1\nB=\\$A $A\n", False),
        ("prefix collision", "B=1\nBC=2\nX=$BC$B\n", False),
        ("double dollar", "A=1\nB=$$A\n", False),
        ("trailing dollar stops expansion", "A=1\nB=$A and $\n", False),
        ("dollar brace empty", "A=1\nB=${}$A\n", False),
        ("replacement specials", "A=a$$b\nB=$A\nC='x$&y'\nD=$C\n", False),
        ("replacement backtick", "A=q$`r\nB=pre-$A-post\n", False),
        ("single quoted expanded", "A=1\nB='$A'\nC='${A}'\n", False),
        ("single quoted bcrypt", "HASH='" + BCRYPT + "'\n", False),
        ("double quoted bcrypt", 'HASH="' + BCRYPT + '"\n', False),
        ("bare bcrypt", "HASH=" + BCRYPT + "\n", False),
        ("password with dollar", "DATABASE_URL=postgresql://u:pa$word@h/d\n", False),
        ("reference in url", "HOST=db\nDATABASE_URL=postgresql://u:p@${HOST}:5432/app\n", False),
        ("reference in quoted url", "HOST=db\nU=\"postgresql://${HOST}/x\"\n", False),
        ("default with colon", "A=${NOPE:-http://x:1}\n", False),
        ("default with space", "A=${NOPE:-two words}\n", False),
        ("unclosed brace", "A=1\nB=${A\n", False),
        ("brace only close", "A=1\nB=$A}\n", False),
        ("lowercase names", "a=1\nb=$a\n", False),
        ("reference to later redefined", "B=$A\nA=1\nA=2\n", False),
        ("value of reference has dollar", "A='\\$x'\nB=$A\n", False),
        ("self reference", "A=$A\n", False),
        ("self reference braced", "A=${A}\nB=1\n", False),
        ("self reference with text", "PATH=/bin:$PATH\n", False),
        ("cycle", "A=$B\nB=$A\n", False),
        ("cycle of three", "A=$B\nB=$C\nC=$A\nD=ok\n", False),
        ("self with default", "A=${A:-x}\n", False),
        ("chain 20", "".join(f"V{i}=$V{i + 1}\n" for i in range(20)) + "V20=end\n", False),
        ("doubling small", "A=ab\nB=$A$A\nC=$B$B\nD=$C$C\n", False),
        ("many refs", "A=x\nB=" + "$A" * 50 + "\n", False),
        ("unicode in default", "A=${NOPE:-héllo}\n", False),
        ("env-like names", "HOME=/home/me\nP=$HOME/x\n", False),
    ]:
        add("expand: " + name, text, refuse)

    # Quote style × expansion form.
    forms = ["$A", "${A}", "${A:-d}", "${NOPE:-d}", "\\$A", "$A$B", "${A}x", "$Ax", "$1", "$"]
    for form in forms:
        for style in ("bare", "single", "double", "back"):
            written = quoted(f"<{form}>", style)
            if written is not None:
                add(f"form {form} {style}", f"A=a\nB=b\n1=one\nV={written}\n")

    # Whole realistic files.
    add("seed-like file", (
        "# Application\nNEXT_PUBLIC_APP_URL=https://staging.example.com\nNEXT_PUBLIC_APP_ENV=staging\n\n"
        "# Database\nDATABASE_URL=\"postgresql://postgres:Sup3r%24ecret@db.abc.supabase.co:5432/postgres\"\n"
        "DIRECT_URL=${DATABASE_URL}\nREDIS_URL=rediss://default:AbC123@eu1.upstash.io:6379\n"
        "NEXTAUTH_SECRET='k8$Zq!2xW#p'\nNEXTAUTH_URL=${NEXT_PUBLIC_APP_URL}\n"
        "JWT_SECRET=" + JWT + "\nENCRYPTION_KEY=\\$ecret\\$\n"))
    add("crlf realistic", "A=1\r\n# comment\r\nB=\"two\r\nlines\"\r\nC=${A}-${B}\r\n")
    add("bom realistic", "\ufeff# c\nA=1\nB='$A'\n")
    return out


if __name__ == "__main__":
    data = cases()
    (HERE / "corpus.json").write_text(json.dumps(data, ensure_ascii=True, indent=0) + "\n", encoding="utf-8")
    print(f"{len(data)} cases, {sum(1 for c in data if c['refuse'])} to refuse")
