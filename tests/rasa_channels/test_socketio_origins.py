"""Which browser origins may open a socket.io connection (rasa_channels/socketio_origins.py)."""

from rasa_channels.socketio_origins import OriginPolicy


def test_origin_policy():
    default = OriginPolicy(None)
    environ = {"HTTP_HOST": "bot.example:5005"}
    assert default("http://bot.example:5005", environ)
    assert default("https://bot.example:5005", environ)
    assert default("http://localhost", environ) and default("http://127.0.0.1:8080", environ)
    assert not default("http://bot.example:6000", environ)
    assert not default("https://shop.example", environ)
    assert not default("null", environ)
    assert default(None, environ)  # not a browser

    shop = OriginPolicy(["https://shop.example", "https://www.shop.example"])
    assert shop("https://shop.example", environ) and shop("https://www.shop.example/", environ)
    assert shop("http://bot.example:5005", environ)  # the bot's own /chat page
    assert not shop("http://localhost:3000", environ)
    assert not shop("http://shop.example", environ)

    behind_proxy = {"HTTP_HOST": "127.0.0.1:5005", "HTTP_X_FORWARDED_HOST": "help.kasa.example"}
    assert shop("https://help.kasa.example", behind_proxy)

    assert OriginPolicy(["*"])("https://anything.example", environ)
