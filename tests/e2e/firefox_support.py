"""What the Firefox UI tests need: Debian's firefox-esr (or a clear skip), driven through its
Marionette protocol by the small client below.

Playwright drives only its own patched Firefox, which cannot be downloaded here, and
geckodriver is not packaged; Marionette is built into every Firefox. With `--marionette` it
listens on a local TCP port and speaks JSON messages, each prefixed by its length and a
colon: `[0, id, "WebDriver:Navigate", {...}]` asks, `[1, id, error, result]` answers. The
commands are those of WebDriver (NewSession, Navigate, ExecuteScript, ElementClick,
ElementSendKeys, PerformActions, TakeScreenshot) under Marionette's names. Elements are
found by a script in the page (CSS selector, then text or accessible name, visible only);
clicks and keys are WebDriver's, so the browser's own event handling is what is tested.
(PyPI's marionette_driver drives this Firefox too, but brings 16 other packages of Mozilla's test
harness, and importing it raises a DeprecationWarning, an error under our pytest settings.)

Firefox starts headless on a fresh profile whose prefs turn off everything that would reach
the network (updates, telemetry, captive portal and connectivity checks, remote settings,
safe browsing, add-on and search updates) and send whatever is left through a proxy that is
a trap: a local listener that records each request and answers none. The tests check that
it saw nothing. Page errors (uncaught exceptions and unhandled rejections of the pages of
the server under test) are read from the browser's console service, as Playwright's
`pageerror` events are in the Chromium tests.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postgres_db import require_service

from .ui_support import SCREENSHOTS

FIREFOX = "/usr/bin/firefox-esr"
SHOTS = SCREENSHOTS / "firefox"
# How long an expectation waits, as the Chromium tests' default timeout.
TIMEOUT = 15.0
VIEWPORT = (1280, 900)
# WebDriver's key for an element reference, in arguments and results.
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
# WebDriver's codes of the keys the tests press (the rest are typed as characters).
KEYS = {
    "Backspace": "\ue003",
    "Tab": "\ue004",
    "Enter": "\ue007",
    "Shift": "\ue008",
    "Control": "\ue009",
    "Alt": "\ue00a",
    "Escape": "\ue00c",
    "Space": "\ue00d",
    "End": "\ue010",
    "Home": "\ue011",
    "ArrowLeft": "\ue012",
    "ArrowUp": "\ue013",
    "ArrowRight": "\ue014",
    "ArrowDown": "\ue015",
}

# The prefs of the test profile (user.js). Each pref that would make Firefox connect
# somewhere by itself is off or points nowhere; the proxy catches anything they missed.
PREFS: dict[str, bool | int | str] = {
    # Marionette on a free port (written to the profile's MarionetteActivePort).
    "marionette.port": 0,
    # Updates: of the browser, add-ons, search engines, system add-ons, plugins.
    "app.update.auto": False,
    "app.update.enabled": False,
    "app.update.disabledForTesting": True,
    "app.update.checkInstallTime": False,
    "extensions.update.enabled": False,
    "extensions.update.autoUpdateDefault": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.blocklist.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "extensions.systemAddon.update.url": "",
    "browser.search.update": False,
    "browser.search.geoip.url": "",
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    # Media plugins (OpenH264 from Mozilla, Widevine from Google's update server).
    "media.gmp-provider.enabled": False,
    "media.gmp-manager.url": "",
    "media.gmp-manager.chromium-update-url": "",
    "media.gmp-gmpopenh264.enabled": False,
    "media.gmp-widevinecdm.enabled": False,
    "media.gmp-widevinecdm.visible": False,
    "media.gmp-widevinecdm.allow-chromium-update": False,
    "media.eme.enabled": False,
    # Telemetry, health report, studies, experiments.
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.archive.enabled": False,
    "toolkit.telemetry.server": "",
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.firstRunURL": "",
    "app.normandy.enabled": False,
    "app.normandy.api_url": "",
    "app.shield.optoutstudies.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "nimbus.rollouts.enabled": False,
    "browser.ping-centre.telemetry": False,
    "browser.newtabpage.activity-stream.feeds.telemetry": False,
    "browser.newtabpage.activity-stream.telemetry": False,
    # Captive portal and connectivity checks, DNS over HTTPS, push.
    "network.captive-portal-service.enabled": False,
    "captivedetect.canonicalURL": "",
    "network.connectivity-service.enabled": False,
    "network.trr.mode": 5,
    "dom.push.connection.enabled": False,
    "dom.push.serverURL": "",
    # Remote settings (blocklists, experiments, certificate revocation lists).
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "security.remote_settings.crlite_filters.enabled": False,
    "security.remote_settings.intermediates.enabled": False,
    # Safe browsing and its list updates.
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.downloads.remote.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.provider.google.updateURL": "",
    "browser.safebrowsing.provider.google4.updateURL": "",
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    # Start pages, new tab page, first-run and default-browser questions, prefetching.
    "browser.startup.page": 0,
    "browser.startup.homepage": "about:blank",
    "browser.startup.homepage_override.mstone": "ignore",
    "startup.homepage_welcome_url": "about:blank",
    "startup.homepage_welcome_url.additional": "",
    "browser.aboutwelcome.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.newtab.preload": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.contentblocking.report.lockwise.enabled": False,
    "browser.uitour.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.http.speculative-parallel-limit": 0,
    "browser.places.speculativeConnect.enabled": False,
    "browser.urlbar.speculativeConnect.enabled": False,
    "geo.provider.network.url": "",
    "identity.fxaccounts.enabled": False,
    # The page as the Chromium tests see it: light colours (the toggle sets the theme).
    "layout.css.prefers-color-scheme.content-override": 1,
    "ui.systemUsesDarkTheme": 0,
    # The session starts clean and ends without questions.
    "browser.sessionstore.resume_from_crash": False,
    "browser.tabs.warnOnClose": False,
    "toolkit.startup.max_resumed_crashes": -1,
}


def require_firefox() -> None:
    """Skip when Debian's firefox-esr is missing, unless HEADWAY_REQUIRE_SERVICES=1 asks for a
    failure instead."""
    if firefox_path() is None:
        require_service(
            f"the Firefox UI tests need Debian's firefox-esr ({FIREFOX}; "
            "apt-get install -y firefox-esr)"
        )


def firefox_path() -> str | None:
    return FIREFOX if Path(FIREFOX).exists() else shutil.which("firefox-esr")


class MarionetteError(AssertionError):
    """An error answered by Marionette (`error` is WebDriver's name for it)."""

    def __init__(self, command: str, error: dict[str, Any]) -> None:
        self.error = str(error.get("error", ""))
        super().__init__(f"{command}: {self.error}: {error.get('message', '')}")


class Connection:
    """One Marionette connection: length-prefixed JSON, one command at a time."""

    def __init__(self, port: int, timeout: float = 60) -> None:
        self._socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self._reader = self._socket.makefile("rb")
        self._last_id = 0
        hello = self._read()
        if hello.get("marionetteProtocol") != 3:
            raise AssertionError(f"not a Marionette server of protocol 3: {hello}")

    def _read(self) -> Any:
        size = b""
        while (byte := self._reader.read(1)) != b":":
            if not byte:
                raise ConnectionError("Marionette closed the connection")
            size += byte
        return json.loads(self._reader.read(int(size)))

    def send(self, command: str, params: dict[str, Any] | None = None) -> Any:
        self._last_id += 1
        message = json.dumps([0, self._last_id, command, params or {}]).encode()
        self._socket.sendall(str(len(message)).encode() + b":" + message)
        while True:
            kind, message_id, error, result = self._read()
            if kind == 1 and message_id == self._last_id:
                break
        if error:
            raise MarionetteError(command, error)
        return result

    def close(self) -> None:
        self._reader.close()
        self._socket.close()


class TrapProxy:
    """A proxy that lets nothing through: it records the first line of each request
    (`CONNECT host:443 HTTP/1.1`) and closes the connection."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self.requests: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    first = conn.recv(4096).split(b"\r\n", 1)[0]
                except OSError:
                    first = b"(nothing sent)"
                self.requests.append(first.decode(errors="replace"))

    def close(self) -> None:
        self._server.close()


def _user_js(prefs: dict[str, bool | int | str]) -> str:
    return "".join(
        f"user_pref({json.dumps(name)}, {json.dumps(v)});\n" for name, v in prefs.items()
    )


# The errors of the pages, from the console service: script errors of content whose source
# is the server under test. Kept by a listener in the browser's chrome window.
_LISTEN_FOR_ERRORS = """
const [prefix] = arguments;
if (!window.headwayErrors) {
  window.headwayErrors = [];
  Services.console.registerListener({ observe(message) {
    if (!(message instanceof Ci.nsIScriptError)) return;
    if (message.flags & (Ci.nsIScriptError.warningFlag | Ci.nsIScriptError.infoFlag)) return;
    if (message.category !== "content javascript") return;
    window.headwayErrors.push([message.sourceName, message.errorMessage]);
  } });
}
window.headwayPrefix = prefix;
"""
_READ_ERRORS = """
const found = (window.headwayErrors || []).filter(([source]) =>
  source.startsWith(window.headwayPrefix));
window.headwayErrors = [];
return found.map(([source, message]) => `${message} (${source})`);
"""


@dataclass
class Firefox:
    """A headless firefox-esr with its own profile, and its Marionette session."""

    process: subprocess.Popen[bytes]
    profile: Path
    connection: Connection
    proxy: TrapProxy
    log: Path
    capabilities: dict[str, Any] = field(default_factory=dict)

    def send(self, command: str, params: dict[str, Any] | None = None) -> Any:
        return self.connection.send(command, params)

    def chrome(self, script: str, *args: Any) -> Any:
        """Runs `script` in the browser's own window (privileged), not in the page."""
        self.send("Marionette:SetContext", {"value": "chrome"})
        try:
            return self.send("WebDriver:ExecuteScript", {"script": script, "args": list(args)})[
                "value"
            ]
        finally:
            self.send("Marionette:SetContext", {"value": "content"})

    def version(self) -> str:
        return str(self.capabilities.get("browserVersion", "?"))


@contextmanager
def firefox(workdir: Path) -> Iterator[Firefox]:
    """firefox-esr, headless, on a fresh profile under `workdir`, with a Marionette session
    whose window shows a 1280x900 page."""
    binary = firefox_path()
    assert binary, "firefox-esr is not installed"
    proxy = TrapProxy()
    profile = Path(tempfile.mkdtemp(prefix="profile-", dir=workdir))
    # Every connection goes through the trap, except to this machine.
    prefs: dict[str, bool | int | str] = {
        **PREFS,
        "network.proxy.type": 1,
        "network.proxy.http": "127.0.0.1",
        "network.proxy.http_port": proxy.port,
        "network.proxy.ssl": "127.0.0.1",
        "network.proxy.ssl_port": proxy.port,
        "network.proxy.share_proxy_settings": True,
        "network.proxy.no_proxies_on": "localhost, 127.0.0.1",
        "network.proxy.allow_hijacking_localhost": False,
    }
    (profile / "user.js").write_text(_user_js(prefs))
    log = workdir / "firefox.log"
    env = {
        **os.environ,
        "MOZ_HEADLESS": "1",
        "MOZ_CRASHREPORTER_DISABLE": "1",
        "MOZ_DISABLE_AUTO_SAFE_MODE": "1",
        # Firefox's own switch for its tests: a connection to another machine aborts the
        # browser (the proxy above is on this one), and the remote settings server set
        # above is taken (a release build ignores that pref otherwise).
        "MOZ_DISABLE_NONLOCAL_CONNECTIONS": "1",
        "HOME": str(workdir),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                "--marionette",
                "--headless",
                "--no-remote",
                # Marionette's chrome context (console listener for the pages' errors).
                "-remote-allow-system-access",
                "-profile",
                str(profile),
                "about:blank",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    connection: Connection | None = None
    try:
        connection = Connection(_wait_for_port(profile, process, log))
        browser = Firefox(process, profile, connection, proxy, log)
        session = browser.send("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {}}})
        browser.capabilities = session["capabilities"]
        browser.send("WebDriver:SetTimeouts", {"implicit": 0, "pageLoad": 30_000, "script": 30_000})
        _size_viewport(browser, *VIEWPORT)
        yield browser
    finally:
        if connection is not None:
            with suppress(OSError, MarionetteError):
                connection.send("Marionette:Quit", {"flags": ["eForceQuit"]})
            connection.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        proxy.close()
        shutil.rmtree(profile, ignore_errors=True)


def _wait_for_port(profile: Path, process: subprocess.Popen[bytes], log: Path) -> int:
    port_file = profile / "MarionetteActivePort"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"firefox-esr exited {process.returncode}: {log.read_text(errors='replace')}"
            )
        text = port_file.read_text().strip() if port_file.exists() else ""
        if text.isdigit():
            return int(text)
        time.sleep(0.05)
    raise AssertionError(f"firefox-esr did not open Marionette in 60 s: {log.read_text()}")


def _size_viewport(browser: Firefox, width: int, height: int) -> None:
    """The window size whose page (viewport) is width x height: the window's own bars are
    added to it."""
    browser.send("WebDriver:SetWindowRect", {"width": width, "height": height})
    inner = browser.send(
        "WebDriver:ExecuteScript", {"script": "return [innerWidth, innerHeight]", "args": []}
    )["value"]
    rect = browser.send("WebDriver:GetWindowRect")
    browser.send(
        "WebDriver:SetWindowRect",
        {"width": rect["width"] + width - inner[0], "height": rect["height"] + height - inner[1]},
    )


Matcher = str | re.Pattern[str] | None


def _matcher(text: Matcher) -> dict[str, Any] | None:
    """A text to match, as the page's find() takes it: exact (after collapsing white space)
    or a regular expression."""
    if text is None:
        return None
    if isinstance(text, re.Pattern):
        flags = "i" if text.flags & re.IGNORECASE else ""
        return {"regex": text.pattern, "flags": flags}
    return {"exact": text}


# The page's side of finding elements: the visible elements that match a CSS selector, under
# `scope`, whose text (or accessible name: aria-label, the label of a control) matches.
_FIND = """
const [selector, text, scope, all] = arguments;
const normal = (s) => (s || "").replace(/\\s+/g, " ").trim();
const names = (el) => {
  const found = [normal(el.textContent), normal(el.getAttribute("aria-label"))];
  if (el.labels) for (const label of el.labels) found.push(normal(label.textContent));
  if (el.tagName === "INPUT" && ["submit", "button"].includes(el.type)) found.push(el.value);
  return found;
};
const matches = (el) => {
  if (!text) return true;
  if (text.exact !== undefined) return names(el).includes(text.exact);
  const re = new RegExp(text.regex, text.flags);
  return names(el).some((n) => re.test(n));
};
const visible = (el) => el.getClientRects().length > 0 &&
  getComputedStyle(el).visibility !== "hidden";
const found = [...(scope || document).querySelectorAll(selector)].filter(
  (el) => visible(el) && matches(el));
return all ? found : (found[0] || null);
"""


def _is_element(value: Any) -> bool:
    return isinstance(value, dict) and ELEMENT in value


@dataclass
class Element:
    page: FirefoxPage
    ref: dict[str, str]
    description: str

    @property
    def id(self) -> str:
        return self.ref[ELEMENT]

    def click(self) -> None:
        """A real click (WebDriver's: scrolled into view, refused when something covers it)."""
        self.page.browser.send("WebDriver:ElementClick", {"id": self.id})

    def type(self, text: str) -> None:
        """Keys typed into the element (focused first), as a person types them."""
        self.page.browser.send("WebDriver:ElementSendKeys", {"id": self.id, "text": text})

    def clear(self) -> None:
        self.page.browser.send("WebDriver:ElementClear", {"id": self.id})

    def fill(self, text: str) -> None:
        """Replaces an input's or a textarea's text as pasting does (Playwright's fill): one
        insertion through the browser's editing commands, which fires the input events."""
        self.page.js(
            "const [el, text] = arguments; el.focus(); el.select();"
            " if (!document.execCommand('insertText', false, text)) {"
            " el.value = text; el.dispatchEvent(new Event('input', { bubbles: true })); }",
            self,
            text,
        )

    def choose(self, value: str) -> None:
        """Selects the option of a <select> by its value, by clicking it."""
        option = self.page.find(f'option[value="{value}"]', within=self, visible=False)
        option.click()

    def upload(self, path: Path) -> None:
        """Chooses a file in an <input type=file>."""
        self.type(str(path))

    def focus(self) -> None:
        self.page.js("arguments[0].focus()", self)

    def text(self) -> str:
        return str(self.page.js("return arguments[0].textContent", self))

    def value(self) -> str:
        return str(self.page.js("return arguments[0].value", self))

    def attribute(self, name: str) -> str | None:
        found = self.page.js("return arguments[0].getAttribute(arguments[1])", self, name)
        return None if found is None else str(found)

    def box(self) -> dict[str, float]:
        found = self.page.js(
            "const r = arguments[0].getBoundingClientRect();"
            " return {x: r.x, y: r.y, width: r.width, height: r.height}",
            self,
        )
        return {key: float(found[key]) for key in ("x", "y", "width", "height")}

    def find(self, selector: str, text: Matcher = None) -> Element:
        return self.page.find(selector, text, within=self)


@dataclass
class FirefoxPage:
    """The page of a test: a base URL, and what the tests do and expect on it. Every find and
    expectation waits (up to TIMEOUT) for the page to match, as Playwright's do."""

    browser: Firefox
    base_url: str
    shots: list[Path] = field(default_factory=list)

    def _wrap(self, value: Any) -> Any:
        if isinstance(value, Element):
            return value.ref
        return value

    def js(self, script: str, *args: Any) -> Any:
        """Runs `script` (a function body: `arguments`, `return`) in the page."""
        answer = self.browser.send(
            "WebDriver:ExecuteScript",
            {"script": script, "args": [self._wrap(a) for a in args]},
        )
        return answer["value"]

    def goto(self, path: str) -> None:
        self.browser.send("WebDriver:Navigate", {"url": self.base_url + path})

    @property
    def url(self) -> str:
        return str(self.browser.send("WebDriver:GetCurrentURL")["value"])

    def wait_for(
        self, check: Callable[[], Any], what: str | Callable[[], str], timeout: float = TIMEOUT
    ) -> Any:
        """`check()` until it answers something true (stale elements and scripts that fail
        while the page is replaced are tried again), or an AssertionError saying `what`."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            try:
                last = check()
                if last:
                    return last
            except MarionetteError as error:
                if error.error not in (
                    "stale element reference",
                    "no such element",
                    "javascript error",
                    "no such window",
                ):
                    raise
                last = error
            if time.monotonic() > deadline:
                said = what() if callable(what) else what
                raise AssertionError(f"{said} (after {timeout} s; last: {last!r})")
            time.sleep(0.1)

    def find(
        self,
        selector: str,
        text: Matcher = None,
        *,
        within: Element | None = None,
        visible: bool = True,
        timeout: float = TIMEOUT,
    ) -> Element:
        """The first visible element that matches, waited for."""
        script = _FIND if visible else _FIND.replace("visible(el) && ", "")
        where = f" in {within.description}" if within else ""
        description = f"{selector}" + (f" named {text!r}" if text else "") + where

        def look() -> Any:
            return self.js(script, selector, _matcher(text), within, False)

        found = self.wait_for(look, f"no {description} on {self.url}", timeout)
        return Element(self, found, description)

    def count(self, selector: str, text: Matcher = None) -> int:
        return len(self.js(_FIND, selector, _matcher(text), None, True))

    def texts(self, selector: str) -> list[str]:
        found = self.js(
            "return [...document.querySelectorAll(arguments[0])].map((e) => e.innerText)",
            selector,
        )
        return [str(t) for t in found]

    def expect_text(
        self, selector: str, expected: str | re.Pattern[str], timeout: float = TIMEOUT
    ) -> None:
        """An element that matches `selector` contains `expected` (a string) or matches it (a
        pattern), in its rendered text."""

        def check() -> bool:
            return any(
                (expected.search(t) if isinstance(expected, re.Pattern) else expected in t)
                for t in self.texts(selector)
            )

        self.wait_for(
            check,
            lambda: f"no {selector} with {expected!r} on {self.url}: {self.texts(selector)}",
            timeout,
        )

    def expect_no_text(self, selector: str, unexpected: str) -> None:
        found = self.texts(selector)
        assert all(unexpected not in t for t in found), (selector, unexpected, found)

    def expect_count(self, selector: str, count: int, text: Matcher = None) -> None:
        self.wait_for(
            lambda: self.count(selector, text) == count,
            lambda: f"not {count} of {selector} on {self.url}: {self.count(selector, text)}",
        )

    def expect_url(self, pattern: str) -> None:
        self.wait_for(lambda: re.search(pattern, self.url), lambda: f"URL {self.url} !~ {pattern}")

    def expect_attribute(self, selector: str, name: str, value: str) -> None:
        self.wait_for(
            lambda: self.js(
                "const el = document.querySelector(arguments[0]);"
                " return el && el.getAttribute(arguments[1]) === arguments[2]",
                selector,
                name,
                value,
            ),
            f"{selector} has no {name}={value!r}",
        )

    def press(self, key: str) -> None:
        """A key, with modifiers: "Tab", "Shift+Tab", "Control+s"."""
        *modifiers, last = key.split("+")
        codes = [KEYS[m] for m in modifiers] + [KEYS.get(last, last)]
        actions = [{"type": "keyDown", "value": c} for c in codes]
        actions += [{"type": "keyUp", "value": c} for c in reversed(codes)]
        self.browser.send(
            "WebDriver:PerformActions",
            {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]},
        )
        self.browser.send("WebDriver:ReleaseActions")

    def type(self, text: str) -> None:
        """Characters typed where the focus is."""
        actions = []
        for char in text:
            actions += [{"type": "keyDown", "value": char}, {"type": "keyUp", "value": char}]
        self.browser.send(
            "WebDriver:PerformActions",
            {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]},
        )

    def focused(self) -> dict[str, str]:
        """What has the focus: its tag, id, text and outline style."""
        found = self.js(
            "const el = document.activeElement;"
            " return {tag: el.tagName, id: el.id, text: el.textContent.trim(),"
            " outline: getComputedStyle(el).outlineStyle}"
        )
        return {key: str(value) for key, value in found.items()}

    def errors(self) -> list[str]:
        """The pages' JavaScript errors since the last call."""
        return [str(e) for e in self.browser.chrome(_READ_ERRORS)]

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        """The page's screenshot (the whole document, or the window), as
        screenshots/firefox/NAME.png."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.js("window.scrollTo(0, 0)")
        data = self.browser.send(
            "WebDriver:TakeScreenshot", {"full": full_page, "hash": False, "scroll": True}
        )["value"]
        path = SHOTS / f"{name}.png"
        path.write_bytes(base64.b64decode(data))
        self.shots.append(path)
        return path


def start_page(browser: Firefox, base_url: str) -> FirefoxPage:
    """A clean page of the server at `base_url`: its storage emptied (the theme, a token),
    its errors listened for."""
    page = FirefoxPage(browser, base_url)
    browser.chrome(_LISTEN_FOR_ERRORS, base_url)
    page.goto("/static/favicon.svg")
    page.js("localStorage.clear(); sessionStorage.clear();")
    page.errors()
    return page
