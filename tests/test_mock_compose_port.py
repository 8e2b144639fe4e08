"""docker-compose publishes the mock on the loopback interface only: its control API hands out
every account's secrets (it is a test API), so no other machine may reach it."""

from test_docker_compose import SECRETS, docker_compose, load_config, port_mappings  # noqa: F401


def test_the_mock_is_published_on_loopback_only(docker_compose: str) -> None:  # noqa: F811
    for env, published in (({}, 8080), ({"MOCK_PORT": "9090"}, 9090)):
        mock = load_config(docker_compose, **SECRETS, **env)["services"]["mock"]
        assert port_mappings(mock) == [("127.0.0.1", published, 8080)]
