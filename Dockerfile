# Mirrors `make run`: install the package, then serve (migrations in db/ run at start).
# tests/test_docker_layout.py rebuilds this tree from the COPY lines and starts it.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY content ./content
COPY db ./db
RUN python -m pip install --no-cache-dir -e .
ENV HUONGNGHIEP_HOST=0.0.0.0 \
    HUONGNGHIEP_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
CMD ["huongnghiep", "serve"]
