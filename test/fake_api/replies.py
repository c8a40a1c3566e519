"""What the fake API answers with: Cloudflare's error codes and messages, the JSON envelope around
every result, and Reply, the status + document a handler returns for the server to send."""

# Error codes and messages (the OpenAPI definition's examples, Cloudflare's SDKs and documentation;
# the ones marked "ours" are unpublished).
E_INVALID_IP = (1146, "Invalid or missing origin IP address.")
E_IP_MISMATCH = (1146, "body origin_ip does not match URL")
E_PER_PAGE = (1146, "invalid per_page parameter, must be between 1 and 100")
E_PAGE = (1146, "invalid page parameter, must be a positive integer")                       # ours
E_BATCH_TOO_BIG = (1146, "too many items in batch request, the maximum is 100")              # ours
E_EXISTS = (1145, "Unable to create new origin_public_cloud_region setting. "
                  "The zone setting already exists.")
E_VENDOR_REGION = (1157, "The vendor provided doesn't exist or the region provided does not exist "
                         "for the specified cloud vendor")
E_LIMIT = (1164, "Maximum number of IP mappings configured for zone.")
E_NOT_FOUND = (1142, "Unable to retrieve origin_public_cloud_region setting value. "
                     "The zone setting does not exist.")
E_DELETE_MISSING = (1163, "Unable to delete origin_public_cloud_region setting value. "
                          "No mapping exists for the specified origin IP.")               # ours
E_UPDATE_INTERNAL = (1140, "Unable to update origin_public_cloud_region setting value. Internal error.")
E_DELETE_INTERNAL = (1141, "Unable to delete origin_public_cloud_region setting. Internal error.")
E_READ_INTERNAL = (1000, "Internal error.")                                                 # ours
E_AUTH = (10000, "Authentication error")
E_THROTTLED = (971, "Please wait and consider throttling your request speed")
E_MALFORMED_JSON = (6007, "Malformed JSON in request body")
E_NO_ROUTE = (7000, "No route for that URI")
ITEM_MISSING = "No mapping exists for the specified origin IP."                             # ours

E_ZONES_PARAM = 1001  # ours: an invalid query parameter of GET /zones (the message names it)


def error_body(*errors):
    return {"result": None, "success": False,
            "errors": [{"code": c, "message": m} for c, m in errors], "messages": []}


def ok_body(result, **extra):
    body = {"result": result, "success": True, "errors": [], "messages": []}
    body.update(extra)
    return body


class Reply:
    """What a handler answers: a status and a JSON document (or raw bytes)."""

    def __init__(self, status, body, headers=None, raw=None):
        self.status, self.body, self.headers, self.raw = status, body, headers or {}, raw


def fail(status, *errors):
    return Reply(status, error_body(*errors))
