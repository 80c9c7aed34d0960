"""``selection serve CALL_DIR [--port P] [--open]``: the secretariat's workbench in a local web page."""

from __future__ import annotations

from pathlib import Path

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(sub) -> None:
    p = sub.add_parser("serve", help="open the secretariat's workbench (a local web page) over a call folder",
                       description="Serve a local web page over CALL_DIR: overview, import, panel, ranking and "
                                   "selection, live what-if, sensitivity, reports and history. Listens on this "
                                   "machine only; the printed address carries a random access token.")
    p.add_argument("call_dir", type=Path, help="the call folder (holding call.toml)")
    p.add_argument("--host", default="127.0.0.1", choices=LOOPBACK,
                   help="loopback address to listen on (default 127.0.0.1; the page is never served to the network)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--out", type=Path, help="parent folder of run folders (default CALL_DIR/runs)")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.set_defaults(func=run)


def run(args) -> int:
    import socket

    import uvicorn

    from selection.errors import InputError, Problem
    from selection.web.app import create_app, warm
    from selection.web.security import new_token

    if not 0 <= args.port <= 65535:
        raise InputError(Problem(f"--port {args.port} is not a port number", hint="use 1-65535, or 0 for a free port"))
    family = socket.AF_INET6 if args.host == "::1" else socket.AF_INET
    host = "127.0.0.1" if args.host == "localhost" else args.host
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, args.port))
    except OSError as exc:
        sock.close()
        raise InputError(Problem(f"cannot listen on {host}:{args.port}: {exc.strerror}",
                                 hint="choose another --port, or --port 0 for a free one")) from None
    sock.listen(128)  # connections made while the call is read at start-up wait instead of failing
    port = sock.getsockname()[1]
    token = new_token()
    app = create_app(args.call_dir, token=token, host=host, port=port, runs_dir=args.out, warm=False)
    print(f"Reading, solving and checking {args.call_dir} ...", flush=True)
    warm(app)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/?token={token}"
    print(f"Workbench for {args.call_dir} at\n\n    {url}\n\nOpen that address in a browser on this machine "
          "(it holds the access token; keep it to yourself). Stop with Ctrl+C.", flush=True)
    if args.open:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    return 0
