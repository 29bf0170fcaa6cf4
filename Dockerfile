# Watchfloor: a static binary on a small Debian base, with the sample city
# and the Compose configuration.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/watchfloor ./cmd/watchfloor
# The sample city's schematic base map, as make run builds it.
RUN /out/watchfloor tiles --out /out/basemap.pmtiles --min-zoom 10 --max-zoom 17 \
      --name "Watchfloor sample city (schematic)" --attribution "示意底图（非真实街道）" \
      roads=config/sample/basemap/roads.geojson buildings=config/sample/basemap/buildings.geojson \
      water=config/sample/basemap/water.geojson pois=config/sample/basemap/landmarks.geojson

FROM debian:bookworm-slim
RUN useradd --system --home /srv/watchfloor watchfloor
WORKDIR /srv/watchfloor
COPY --from=build /out/watchfloor /usr/local/bin/watchfloor
COPY config ./config
COPY deploy ./deploy
COPY --from=build /out/basemap.pmtiles ./var/basemap.pmtiles
USER watchfloor
EXPOSE 8080 5055
ENTRYPOINT ["watchfloor"]
CMD ["--config", "deploy/watchfloor.compose.yaml"]
