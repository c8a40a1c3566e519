"""A plain client of the v2 API, written the way an SDK user writes one: the yardstick the API
benchmark measures the extension against, usable by a test that plays such a user.

    client = SequentialClient(fake.port)          # one keep-alive connection, Bearer TOKEN
    client.put_batch(rows[:100])                  # PUT …/origin/cloud_regions/batch, ≤ 100 items
    client.put("10.0.0.1", "aws", "us-east-1")    # PUT …/origin/cloud_regions/10.0.0.1
    client.list_all()                             # GET pages of 100, one after another
    client.close()

Requests go out one at a time over one http.client connection with keep-alive (no concurrency, no
retries); an answer other than 200, or a batch item in `failed`, raises ClientError. Only loopback:
the client talks to 127.0.0.1 and the port it is given.
"""

import http.client
import json

from support.fake import TOKEN, ZONE


class ClientError(Exception):
    pass


class SequentialClient:
    """v2 requests one after another over one keep-alive connection."""

    def __init__(self, port, zone=ZONE, token=TOKEN, timeout=60):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.base = "/client/v4/zones/%s/origin/cloud_regions" % zone
        self.headers = {"Authorization": "Bearer " + token, "Accept": "application/json",
                        "Content-Type": "application/json"}

    def close(self):
        self.conn.close()

    def request(self, method, path, doc=None):
        """One request to self.base + path; the answer's `result` (anything but 200 raises)."""
        body = None if doc is None else json.dumps(doc)
        self.conn.request(method, self.base + path, body=body, headers=self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise ClientError("%s %s: HTTP %d %s" % (method, path, resp.status, data[:200]))
        return json.loads(data)

    def put_batch(self, rows):
        """Upserts rows ((origin_ip, vendor, region), at most 100) with one PUT …/batch."""
        doc = [{"origin_ip": ip, "vendor": vendor, "region": region} for ip, vendor, region in rows]
        result = self.request("PUT", "/batch", doc)["result"]
        if result["failed"]:
            raise ClientError("PUT /batch: %d items failed, first: %s"
                              % (len(result["failed"]), result["failed"][0]))

    def put(self, ip, vendor, region):
        """Upserts one mapping with PUT …/{ip}."""
        self.request("PUT", "/" + ip, {"origin_ip": ip, "vendor": vendor, "region": region})

    def list_all(self, per_page=100):
        """Every mapping of the zone as (origin_ip, vendor, region), page after page."""
        out, page = [], 1
        while True:
            doc = self.request("GET", "?per_page=%d&page=%d" % (per_page, page))
            out.extend((m["origin_ip"], m["vendor"], m["region"]) for m in doc["result"])
            if page >= doc["result_info"]["total_pages"]:
                return out
            page += 1
