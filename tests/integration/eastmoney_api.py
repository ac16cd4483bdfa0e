"""A loopback copy of the eastmoney-style list API that seeds/eastmoney.yaml polls.

GET /webapi?marketType=N&count=100 answers {"record": [{"infoCode", "title", "datetime",
"medianame"}, ...]}; GET /GetNewsText.do?id=INFOCODE answers {"code": 0, "text": HTML} whose
last paragraph names the outlet, as the seed pipeline's detail responses did. The texts are
ours. Other paths can be given fixed answers (`answer`), e.g. a favicon where a feed should be.
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LISTS = {
    "37": [
        {"infoCode": "NW202403150000000101", "title": "示例港口一季度集装箱吞吐量同比增长",
         "datetime": "2024-03-15 08:30:00", "medianame": "示例财经"},
        {"infoCode": "NW202403150000000102", "title": "示例城市新开通两条地铁线路",
         "datetime": "2024-03-15 09:10:00", "medianame": "示例日报"},
    ],
    "38": [
        {"infoCode": "NW202403150000000201", "title": "示例银行发布年度报告",
         "datetime": "2024-03-15 10:00:00", "medianame": "示例财经"},
        # No infoCode: its detail request cannot be made, so it must not be published.
        {"title": "一条没有编号的快讯", "datetime": "2024-03-15 10:05:00",
         "medianame": "示例财经"},
    ],
}

BODIES = {
    "NW202403150000000101": ("<p>示例港口今日公布，一季度集装箱吞吐量同比增长百分之八。</p>"
                             "<p>港口方面表示，航线网络持续完善。</p>", "示例财经"),
    "NW202403150000000102": ("<p>示例城市两条新地铁线路今日开通运营。</p>", "示例日报"),
    "NW202403150000000201": ("<p>示例银行发布年度报告，营业收入保持稳定。</p>", "示例财经"),
}


class EastmoneyApi:
    def __init__(self):
        self.detail_requests = []
        self.answers = {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                if url.path in api.answers:
                    content_type, body = api.answers[url.path]
                    return self.reply(200, content_type, body)
                if url.path == "/webapi":
                    items = LISTS.get(query.get("marketType", [""])[0], [])
                    return self.reply(200, "application/json; charset=utf-8",
                                      json.dumps({"success": True, "record": items},
                                                 ensure_ascii=False).encode())
                if url.path == "/GetNewsText.do":
                    code = query.get("id", [""])[0]
                    api.detail_requests.append(code)
                    if code in BODIES:
                        html, media = BODIES[code]
                        text = html + f'<p class="em_media">（文章来源：{media}）</p>'
                        return self.reply(200, "application/json; charset=utf-8",
                                          json.dumps({"code": 0, "text": text},
                                                     ensure_ascii=False).encode())
                self.reply(404, "text/plain", b"not found")

            def reply(self, status, content_type, body):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path, content_type, body):
        self.answers[path] = (content_type, body)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
