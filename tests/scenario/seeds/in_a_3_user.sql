USE master;  
CREATE USER HOST_B_user FOR LOGIN HOST_B_login;  
GO  
