"""Every error answer is JSON with a Vietnamese message; an unexpected exception is a logged 500."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SERVER_ERROR = "Xin lỗi, máy chủ vừa gặp sự cố. Bạn thử lại sau ít phút nhé."
CLIENT_ERROR = "Yêu cầu không hợp lệ."
MESSAGES = {
    400: CLIENT_ERROR,
    401: "Cần mã truy cập hợp lệ.",
    403: "Bạn không có quyền truy cập trang này.",
    404: "Không tìm thấy địa chỉ này.",
    405: "Địa chỉ này không nhận phương thức {method}.",
    408: "Yêu cầu gửi quá chậm, bạn thử lại nhé.",
    411: "Yêu cầu cần cho biết độ dài dữ liệu (Content-Length).",
    413: "Dữ liệu gửi lên quá lớn.",
    414: "Địa chỉ quá dài.",
    415: "Kiểu dữ liệu gửi lên không được hỗ trợ.",
    429: "Bạn gửi nhanh quá, chờ một chút rồi thử lại nhé.",
    431: "Phần đầu (header) của yêu cầu quá lớn.",
}
_KEPT_HEADERS = (hdrs.ALLOW, hdrs.WWW_AUTHENTICATE, hdrs.RETRY_AFTER, hdrs.CACHE_CONTROL)


def error_response(status: int, message: str) -> web.Response:
    """The JSON error body every route uses."""
    return web.json_response({"error": message}, status=status)


def _from_http_exception(request: web.Request, exc: web.HTTPException) -> web.Response:
    if exc.content_type == "application/json" and exc.text:
        response = web.Response(status=exc.status, text=exc.text, content_type="application/json")
    elif exc.status >= 500:
        response = error_response(exc.status, SERVER_ERROR)
    else:
        message = MESSAGES.get(exc.status, CLIENT_ERROR).format(method=request.method[:16])
        response = error_response(exc.status, message)
    for name in _KEPT_HEADERS:
        if name in exc.headers:
            response.headers[name] = exc.headers[name]
    return response


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turns aiohttp's plain-text errors (unknown path, wrong method, body too large) into
    JSON, and any unexpected exception into a 500 with an apology (and a log record).

    The last line of defence: handlers answer bad input with a 4xx themselves."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _from_http_exception(request, exc)
    except Exception:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unknown route"
        # the path and query are not logged: they may carry what a user typed
        log.exception("unhandled error in %s %s", request.method[:16], route)
        return error_response(500, SERVER_ERROR)
