"""The worker process: owns the vector store and the embedding model, runs background jobs."""
