"""Converters from public corpora (AMI, AVA-ActiveSpeaker, Friends-MMC, VoxCeleb2) and from any
recording + RTTM into AMUSE datasets, and Hub publishing.  Users bring the media."""
