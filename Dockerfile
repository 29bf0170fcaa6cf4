# Watchfloor: a static binary on a small Debian base, with the sample city
# and the Compose configuration.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/watchfloor ./cmd/watchfloor

FROM debian:bookworm-slim
RUN useradd --system --home /srv/watchfloor watchfloor
WORKDIR /srv/watchfloor
COPY --from=build /out/watchfloor /usr/local/bin/watchfloor
COPY config ./config
COPY deploy ./deploy
USER watchfloor
EXPOSE 8080 5055
ENTRYPOINT ["watchfloor"]
CMD ["--config", "deploy/watchfloor.compose.yaml"]
