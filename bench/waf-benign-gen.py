#!/usr/bin/env python3
"""waf-benign-gen.py: writes a large set of harmless chat requests as JSON
Lines in the shared WAF corpus's format, for measuring what the WAF's rules
cost in false positives on realistic traffic.

Every request goes to a route PlexiChat serves: message posts and edits
(JSON API and the web form), profile updates (JSON and form), searches
(messages, users, the web page) and logins (JSON and form). Message text
is what a developer team writes: code in many languages (fenced, inline
and pasted bare), shell and SQL in prose, URLs, Markdown, pasted JSON and
logs, many scripts and languages. Structured fields (search, names,
passwords) hold what people type there, symbols included.

Deterministic: the same seed gives the same file. Standard library only.

usage: waf-benign-gen.py [-n COUNT] [-s SEED] OUT.jsonl
"""
import argparse
import json
import random
from urllib.parse import quote, urlencode

HOST = "chat.example.com"
UAS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
    "PlexiChat-Desktop/3.5.0 (Electron 30.0.1; linux x64)",
    "PlexiChat-iOS/2.8 CFNetwork/1494.0.7 Darwin/23.4.0",
    "python-requests/2.32.3",
    "curl/8.7.1",
]
LANGS = ["en-US,en;q=0.9", "de-DE,de;q=0.9,en;q=0.7", "ja-JP,ja;q=0.9", "fr-FR,fr;q=0.9",
         "pt-BR,pt;q=0.9,en;q=0.8", "zh-CN,zh;q=0.9", "es-ES,es;q=0.9", "ru-RU,ru;q=0.9"]

# --- building blocks --------------------------------------------------------

CODE = {
    "python": ["def load(path):\n    with open(path, encoding='utf-8') as f:\n        return json.load(f)",
               "import subprocess\nout = subprocess.run(['git', 'log', '-1'], capture_output=True, text=True)\nprint(out.stdout)",
               "users = [u for u in users if u['active'] and u.get('email')]\nprint(f\"{len(users)} active\")",
               "@app.route('/api/<int:id>')\ndef get(id):\n    return jsonify(db.session.get(Item, id))",
               "cur.execute(\"SELECT id, name FROM users WHERE email = %s\", (email,))"],
    "javascript": ["const res = await fetch(`/api/v1/channels/${id}/messages?limit=50`);\nconst data = await res.json();",
                   "document.querySelector('#send').addEventListener('click', () => post(input.value));",
                   "export default function Avatar({ user }) {\n  return <img src={user.avatar} alt={user.name} />;\n}",
                   "items.filter(x => x.qty > 0).map(x => x.price * x.qty).reduce((a, b) => a + b, 0)",
                   "if (a === 'x' || b !== \"y\") { console.log('odd'); }"],
    "typescript": ["interface User { id: number; name: string; roles?: string[] }",
                   "function clamp(n: number, lo = 0, hi = 1): number { return Math.min(hi, Math.max(lo, n)); }"],
    "go": ["func handler(w http.ResponseWriter, r *http.Request) {\n\tid := r.URL.Query().Get(\"id\")\n\tfmt.Fprintf(w, \"%s\", id)\n}",
           "cmd := exec.Command(\"ls\", \"-la\", dir)\nout, err := cmd.CombinedOutput()",
           "rows, err := db.QueryContext(ctx, \"SELECT id FROM jobs WHERE state = $1\", state)"],
    "rust": ["let total: u64 = items.iter().map(|i| i.qty * i.price).sum();",
             "match std::fs::read_to_string(&path) {\n    Ok(s) => println!(\"{}\", s),\n    Err(e) => eprintln!(\"{e}\"),\n}"],
    "c": ["if (snprintf(buf, sizeof(buf), \"%s/%s\", dir, name) >= (int)sizeof(buf))\n\treturn -1;",
          "for (size_t i = 0; i < n; i++)\n\tsum += a[i] * b[i];", "system(\"clear\");\nprintf(\"%d\\n\", argc);"],
    "cpp": ["std::vector<std::string> parts;\nboost::split(parts, line, boost::is_any_of(\",\"));",
            "template <typename T> T max(T a, T b) { return a < b ? b : a; }"],
    "java": ["List<String> names = users.stream().map(User::getName).collect(Collectors.toList());",
             "PreparedStatement ps = conn.prepareStatement(\"UPDATE users SET name = ? WHERE id = ?\");",
             "Runtime.getRuntime().addShutdownHook(new Thread(() -> pool.shutdown()));"],
    "ruby": ["User.where(active: true).order(created_at: :desc).limit(10)",
             "puts `git rev-parse HEAD`.strip"],
    "php": ["<?php\n$stmt = $pdo->prepare('SELECT * FROM posts WHERE id = ?');\n$stmt->execute([$id]);",
            "<?= htmlspecialchars($title, ENT_QUOTES) ?>"],
    "sql": ["SELECT u.name, count(*) FROM messages m JOIN users u ON u.id = m.author_id GROUP BY 1 ORDER BY 2 DESC LIMIT 10;",
            "UPDATE users SET is_admin = false WHERE last_login < now() - interval '1 year';",
            "DELETE FROM sessions WHERE expires_at < now();",
            "SELECT * FROM orders WHERE (status = 'open' OR status = 'held') AND total > 100;",
            "CREATE INDEX CONCURRENTLY idx_msg_channel ON messages (channel_id, id);",
            "SELECT 1 UNION ALL SELECT 2; -- why does this return two rows?",
            "INSERT INTO tags (name) VALUES ('urgent'), ('o''reilly') ON CONFLICT DO NOTHING;"],
    "bash": ["for f in *.log; do gzip -9 \"$f\"; done",
             "find . -name '*.pyc' -delete && git status",
             "curl -sS https://api.example.com/v1/health | jq '.status'",
             "ssh deploy@10.0.3.7 'sudo systemctl restart plexichat'",
             "tar czf backup-$(date +%F).tar.gz /srv/data",
             "export PATH=\"$HOME/.local/bin:$PATH\"; which python3",
             "cat /etc/os-release | grep VERSION",
             "IFS=, read -r a b c <<< \"$line\"",
             "ls /usr/lib/*/libssl* 2>/dev/null || echo missing",
             "git -c core.editor=vim commit --amend"],
    "powershell": ["Get-ChildItem -Path C:\\Logs -Filter *.log | Remove-Item -WhatIf",
                   "Invoke-RestMethod -Uri https://api.example.com/items -Method Get"],
    "yaml": ["services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD}",
             "on:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make check"],
    "json": ["{\"id\": 42, \"name\": \"build\", \"tags\": [\"ci\", \"nightly\"], \"ok\": true}",
             "{\"error\": {\"code\": 403, \"message\": \"forbidden\"}}"],
    "dockerfile": ["FROM python:3.12-slim\nRUN pip install --no-cache-dir -r requirements.txt\nCMD [\"gunicorn\", \"app:app\"]"],
    "nginx": ["location /api/ {\n    proxy_pass http://127.0.0.1:8080;\n    proxy_set_header Host $host;\n}"],
    "html": ["<div class=\"card\">\n  <h2>{{ title }}</h2>\n  <button onclick=\"save()\">Save</button>\n</div>",
             "<script src=\"/static/app.js\" defer></script>"],
    "css": [".btn:hover { background: #0a7; transition: all .2s ease-in-out; }"],
    "jinja": ["{% for u in users %}\n  <li>{{ u.name | e }}</li>\n{% endfor %}", "{{ 7 * 6 }} renders 42 in the preview"],
    "erb": ["<%= link_to @post.title, post_path(@post) %>"],
    "razor": ["@foreach (var item in Model.Items) { <li>@item.Name</li> }"],
    "terraform": ["resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs-${var.env}\"\n}"],
    "makefile": ["check: all\n\t$(MAKE) -C tests run"],
    "haskell": ["main = mapM_ print (take 10 primes)"],
    "lua": ["for i, v in ipairs(t) do print(i, v) end"],
    "kotlin": ["val names = users.filter { it.active }.map { it.name }"],
    "swift": ["guard let url = URL(string: s) else { return nil }"],
    "elixir": ["Enum.map(list, fn x -> x * 2 end) |> Enum.sum()"],
}
INLINE = ["`git rebase -i HEAD~3`", "`npm ci`", "`kubectl get pods -n prod`", "`SELECT count(*) FROM users`",
          "`rm -rf node_modules`", "`docker compose up -d`", "`make -j4`", "`cat /proc/meminfo`",
          "`{{ user.name }}`", "`${HOME}/.config`", "`O(n log n)`", "`a && b || c`", "`x | y`",
          "`chmod 600 ~/.ssh/id_ed25519`", "`curl -X POST`", "`<br>`", "`onclick`", "`eval()`"]
PROSE = [
    "Deploy went fine, thanks everyone!", "Can someone review my PR before lunch?",
    "I'll be late for standup, dentist appointment.", "The build is red again, looking into it.",
    "Who's on call this weekend?", "Let's move the retro to Thursday 3pm.",
    "Does anyone know why staging is slow today?", "Nice work on the release notes!",
    "FYI the VPN certificate expires on Friday.", "I'd rather cat the file than open it in vim.",
    "Select the right region before you drop the old bucket.", "The union meeting is at 5, in the big room.",
    "We should execute the plan step by step; no shortcuts.", "Sleep on it and decide tomorrow?",
    "Alert: the disk on db-2 is at 91%.", "Please script the migration rather than doing it by hand.",
    "O'Brien and D'Angelo are joining the team next week.", "a < b && c > d, so the comparator is wrong",
    "That's 100% on me, sorry <3", "\"Works on my machine\" -- famous last words",
    "Price went from $5 to $7 (40% up)", "Use 2>&1 to see errors too.",
    "the path is ../config/app.yml relative to the binary", "check /etc/passwd permissions, should be 644",
    "the file lives in C:\\ProgramData\\Acme\\logs on Windows", "ping 10.0.0.12 answers but 10.0.0.13 doesn't",
    "is it `==` or `===` in this codebase?", "I ran whoami and it says www-data, so the sudoers entry is wrong",
    "the cron job runs `cd /srv && ./backup.sh` every night", "OR-ing the flags fixed it",
    "Status: waiting on legal; ETA next week (maybe)", "ok -- merging now", "LGTM :+1:",
    "SELECT * FROM users WHERE id=1 -- is this right?", "why does WHERE a = 1 OR b = 2 ignore the index?",
    "how do I UPDATE orders SET total = total * 1.2 WHERE region = 'EU' without locking the table?",
    "Should I use `set -euo pipefail` in all our scripts?", "the template says {{ name }} but renders nothing",
    "in Jinja you'd write {% if user %}hello{% endif %}", "Razor uses @Model.Name and @(a + b) for expressions",
    "ERB is <%= name %>, not {{ name }}", "my regex is ^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$",
    "git clone --depth 1 https://github.com/example/repo.git", "upload-pack errors mean the remote is gone",
    "run ls -la /var/log then tail -f syslog", "the glob /usr/lib/*.so.* matched nothing",
    "exit code 127 means command not found", "it prints \"hello\"; then 'world'", "50/50 chance, honestly",
]
INTL = [
    "今日のデプロイは15時からです。", "明天的会议改到下午三点。", "오늘 회의는 취소되었습니다.",
    "مرحبا، هل يمكنك مراجعة الكود؟", "שלום, הבנייה נכשלה שוב", "Привет! Кто сегодня дежурит?",
    "Καλημέρα! Το build πέρασε.", "नमस्ते, कल छुट्टी है।", "สวัสดีครับ ทุกคน", "Chào buổi sáng, mọi người!",
    "Ça marche, à demain — Zoë", "Grüße aus München, die Tests laufen grün.", "¿Alguien sabe por qué falla CI?",
    "ሰላም ለሁላችሁ", "Olá! O deploy terminou às 18h.", "Cześć, czy ktoś widział ten błąd?",
    "Merhaba, sunucu tekrar çalışıyor.", "Hej! Jag är ledig på fredag.", "🎉🎉 ship it 🚀", "👩🏽‍💻 + ☕ = ✅",
]
URLS = ["https://docs.example.com/guide?lang=en&v=2#install", "https://github.com/example/repo/pull/1234",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "https://status.example.com/",
        "https://en.wikipedia.org/wiki/Unicode_equivalence", "https://example.atlassian.net/browse/OPS-981",
        "https://maps.example.com/?q=52.52,13.40&z=12", "http://intranet.example.com/wiki/On-call"]
WORDS = ("deploy release build test flaky retry timeout index query cache queue worker shard backup "
         "restore token session login error warning latency memory disk cpu network dns tls cert "
         "review merge branch commit rebase docs design meeting lunch coffee holiday").split()
FIRST = ["Ana", "Bjørn", "Chloé", "Dmitri", "Émile", "Fatima", "Giulia", "Hiro", "Ingrid", "José",
         "Kwame", "Léa", "Mei", "Nikos", "Olu", "Priya", "Quinn", "Raúl", "Siobhán", "Tomás",
         "Ülkü", "Valentina", "Wei", "Xavier", "Yuki", "Zoë", "Seán", "Małgorzata", "Ngozi", "Aroha"]
LAST = ["O'Brien", "D'Angelo", "d'Artagnan", "Dell'Acqua", "N'Diaye", "Müller", "García-López", "Nakamura", "van der Berg", "Ó Súilleabháin",
        "Kowalski", "Nguyễn", "Smith", "Al-Sayed", "Ivanova", "Chen", "De la Cruz", "MacLeod", "Øster"]
SUFFIX = ["", "", "", " (she/her)", " (he/him)", " (they/them)", " 🌱", " | SRE", " - on leave",
          " [PTO until Mon]", ", PhD", " @ Berlin", " (ext. 4412)", " 🇯🇵"]
SEARCHES = ["deploy failed", "who's on call", "o'reilly book", "C# vs F#", "node.js 20", "release notes",
            "\"exact phrase\"", "from:alice in:general", "(api OR sdk) AND docs", "50% off", "what's up?",
            "segfault in malloc()", "std::vector", "async/await", "useEffect cleanup", "npm install",
            "git rebase -i", "docker compose up", "select distinct", "ERROR 1045", "NullPointerException",
            "kubectl get pods", "retro notes 2024-05", "design review", "vpn", "postgres 16 upgrade",
            "ci flaky", "lunch", "#general", "@maria", "v3.2.1", "TODO", "p99 latency", "a/b test",
            "price < 100", "1+1", "100 €", "emoji 🎉", "デプロイ", "会议", "회의", "дежурство", "café",
            "don't merge", "it's broken", "John's laptop", "foo_bar-baz", "e-mail", "Q&A", "R&D budget",
            "l'équipe infra", "c'est cassé", "rock'n'roll playlist", "\"deploy\" 'prod'", "D'Souza",
            "/var/log/*.log", "*.pdf", "who am i", "cat pictures", "sh*t happens", "a/b/c", "dell'anno",
            "what's the ETA?", "user's guide (v2)", "'single quotes'", "C:\\Users\\me", "50% (approx)",
            "x = y + 1", "price: $5", "#{channel} placeholder", "{{ name }} not rendered", "why 7*7=49?"]
PW_CHARS = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!@#$%^&*()-_=+[]{};:,.<>/?~|"


def code_block(rnd):
    lang = rnd.choice(sorted(CODE))
    return "```%s\n%s\n```" % (lang, rnd.choice(CODE[lang]))


def markdown(rnd):
    kind = rnd.randrange(6)
    if kind == 0:
        return "## %s\n\n- %s\n- %s\n- [ ] %s" % (rnd.choice(WORDS).title(), rnd.choice(PROSE),
                                                  rnd.choice(PROSE), rnd.choice(WORDS))
    if kind == 1:
        return "| step | owner | state |\n|---|---|---|\n| %s | %s | done |\n| %s | %s | **open** |" % (
            rnd.choice(WORDS), rnd.choice(FIRST), rnd.choice(WORDS), rnd.choice(FIRST))
    if kind == 2:
        return "> %s\n\nagreed, see [the docs](%s)" % (rnd.choice(PROSE), rnd.choice(URLS))
    if kind == 3:
        return "**%s**: _%s_ ~~%s~~" % (rnd.choice(WORDS), rnd.choice(PROSE), rnd.choice(WORDS))
    if kind == 4:
        return "![diagram](https://files.example.com/img/%d.png \"%s\")" % (rnd.randrange(9999), rnd.choice(WORDS))
    return "1. %s\n2. %s\n3. %s" % (rnd.choice(PROSE), rnd.choice(PROSE), rnd.choice(PROSE))


def log_dump(rnd):
    lines = []
    for i in range(rnd.randrange(20, 120)):
        lines.append("2024-06-%02d %02d:%02d:%02d %s %s[%d]: %s %s in %d ms" % (
            rnd.randrange(1, 29), rnd.randrange(24), rnd.randrange(60), rnd.randrange(60),
            rnd.choice(["INFO", "WARN", "ERROR", "DEBUG"]), rnd.choice(["api", "worker", "cron"]),
            rnd.randrange(100, 9999), rnd.choice(WORDS), rnd.choice(["ok", "failed", "retried"]),
            rnd.randrange(1, 5000)))
    return "```\n" + "\n".join(lines) + "\n```"


def json_paste(rnd):
    obj = {"id": rnd.randrange(10 ** 6), "user": rnd.choice(FIRST), "tags": rnd.sample(WORDS, 3),
           "meta": {"ok": rnd.random() < 0.5, "latency_ms": rnd.randrange(900), "url": rnd.choice(URLS)}}
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    return text if rnd.random() < 0.4 else "```json\n" + text + "\n```"


def message_text(rnd):
    """A chat message and the traffic class it stands for."""
    k = rnd.randrange(100)
    if k < 22:
        return "gen_code", "%s\n%s" % (rnd.choice(PROSE), code_block(rnd))
    if k < 32:
        return "gen_code", "%s %s %s" % (rnd.choice(["try", "use", "run", "what does", "avoid"]),
                                         rnd.choice(INLINE), rnd.choice(["?", "here", "first", "— works for me", ""]))
    if k < 40:
        lang = rnd.choice(["sql", "bash", "python", "javascript", "yaml"])
        return "gen_code", "pasted without fences:\n" + rnd.choice(CODE[lang])
    if k < 62:
        return "gen_text", " ".join(rnd.choice(PROSE) for _ in range(rnd.randrange(1, 4)))
    if k < 72:
        return "gen_intl", " ".join(rnd.choice(INTL) for _ in range(rnd.randrange(1, 3)))
    if k < 82:
        return "gen_markdown", markdown(rnd)
    if k < 88:
        return "gen_text", "%s %s" % (rnd.choice(PROSE), rnd.choice(URLS))
    if k < 94:
        return "gen_json", json_paste(rnd)
    return "gen_long", "%s\n%s" % (rnd.choice(PROSE), log_dump(rnd))


def display_name(rnd):
    return rnd.choice(FIRST) + " " + rnd.choice(LAST) + rnd.choice(SUFFIX)


def password(rnd):
    if rnd.random() < 0.3:
        return "-".join(rnd.choice(WORDS) for _ in range(4)) + str(rnd.randrange(100))
    return "".join(rnd.choice(PW_CHARS) for _ in range(rnd.randrange(10, 24)))


def username(rnd):
    f = rnd.choice(FIRST).lower()
    return rnd.choice([f, f + "." + rnd.choice(LAST).lower().replace("'", "").replace(" ", ""),
                       f + str(rnd.randrange(99)), f + "_" + rnd.choice(WORDS)])


# --- requests ---------------------------------------------------------------

def headers(rnd, api, ctype=None):
    h = {"Host": HOST, "User-Agent": rnd.choice(UAS),
         "Accept": "application/json" if api else "text/html,application/xhtml+xml,*/*;q=0.8",
         "Accept-Language": rnd.choice(LANGS), "Accept-Encoding": "gzip, deflate, br"}
    if ctype:
        h["Content-Type"] = ctype
    if not api:
        h["Origin"] = "https://" + HOST
        h["Referer"] = "https://%s/c/general" % HOST
    h["Cookie"] = "plexi_session=%032x; theme=%s" % (rnd.getrandbits(128), rnd.choice(["dark", "light"]))
    if api:
        h["X-CSRF-Token"] = "%024x" % rnd.getrandbits(96)
    return h


def form(**kv):
    return urlencode(kv, quote_via=quote)


def req_message(rnd):
    cls, text = message_text(rnd)
    ch, mid = rnd.randrange(1, 60), rnd.randrange(1, 99999)
    r = rnd.randrange(10)
    if r < 6:
        return cls, "POST", "/api/v1/channels/%d/messages" % ch, "", headers(rnd, True, "application/json"), \
            json.dumps({"body": text}, ensure_ascii=rnd.random() < 0.3), "message post (JSON)"
    if r < 7:
        return cls, "PATCH", "/api/v1/channels/%d/messages/%d" % (ch, mid), "", \
            headers(rnd, True, "application/json"), json.dumps({"body": text}), "message edit (JSON)"
    slug = rnd.choice(["general", "dev", "ops", "random", "design", "team-berlin"])
    return cls, "POST", "/c/%s/post" % slug, "", headers(rnd, False, "application/x-www-form-urlencoded"), \
        form(body=text, csrf_token="%024x" % rnd.getrandbits(96)), "web message form"


def req_profile(rnd):
    bio = rnd.choice(PROSE) if rnd.random() < 0.7 else rnd.choice(INTL)
    fields = {"display_name": display_name(rnd)}
    if rnd.random() < 0.6:
        fields["bio"] = bio
    if rnd.random() < 0.3:
        fields["email"] = "%s@%s" % (username(rnd), rnd.choice(["example.com", "example.co.uk", "exämple.de"]))
    if rnd.random() < 0.7:
        return "gen_profile", "PATCH", "/api/v1/users/me", "", headers(rnd, True, "application/json"), \
            json.dumps(fields, ensure_ascii=False), "profile update (JSON)"
    fields["csrf_token"] = "%024x" % rnd.getrandbits(96)
    return "gen_profile", "POST", "/settings/profile", "", \
        headers(rnd, False, "application/x-www-form-urlencoded"), form(**fields), "profile form"


def req_search(rnd):
    q = rnd.choice(SEARCHES) if rnd.random() < 0.7 else " ".join(rnd.sample(WORDS, rnd.randrange(1, 4)))
    r = rnd.randrange(4)
    if r == 0:
        return "gen_search", "GET", "/api/v1/search", form(q=q, limit=rnd.choice([20, 50])), \
            headers(rnd, True), "", "message search"
    if r == 1:
        return "gen_search", "GET", "/api/v1/channels/%d/messages/search" % rnd.randrange(1, 60), \
            form(q=q), headers(rnd, True), "", "channel search"
    if r == 2:
        return "gen_search", "GET", "/api/v1/users", form(q=display_name(rnd).split()[0], limit=20), \
            headers(rnd, True), "", "user search"
    return "gen_search", "GET", "/search", form(q=q), headers(rnd, False), "", "web search page"


def req_login(rnd):
    u, p = username(rnd), password(rnd)
    if rnd.random() < 0.5:
        return "gen_login", "POST", "/api/v1/auth/login", "", headers(rnd, True, "application/json"), \
            json.dumps({"username": u, "password": p}), "API login"
    return "gen_login", "POST", "/login", "", headers(rnd, False, "application/x-www-form-urlencoded"), \
        form(username=u, password=p, csrf_token="%024x" % rnd.getrandbits(96), next="/c/general"), "web login form"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=3600, help="number of requests (default 3600)")
    ap.add_argument("-s", type=int, default=20240611, help="random seed")
    ap.add_argument("out")
    a = ap.parse_args()
    rnd = random.Random(a.s)
    makers = [(req_message, 50), (req_profile, 15), (req_search, 20), (req_login, 15)]
    total = sum(w for _, w in makers)
    with open(a.out, "w", encoding="utf-8") as f:
        seq = {}
        for _ in range(a.n):
            x = rnd.randrange(total)
            for fn, w in makers:
                if x < w:
                    break
                x -= w
            cls, method, path, query, hdrs, body, note = fn(rnd)
            seq[cls] = seq.get(cls, 0) + 1
            f.write(json.dumps({"id": "%s-%04d" % (cls, seq[cls]), "class": cls, "expect": "pass",
                                "method": method, "path": path, "query": query, "headers": hdrs,
                                "body": body, "note": note}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
